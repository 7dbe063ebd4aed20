/* metricsy analytics: one page-view beacon */
(function () {
  var q = 'e=pv&site=shopfront&u=' + encodeURIComponent(location.pathname) + '&t=' + Date.now();
  var i = new Image(1, 1);
  i.src = 'https://collect.metricsy.test/collect?' + q;
})();
