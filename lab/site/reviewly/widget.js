/* reviewly widget: star badge for the shop */
(function () {
  var el = document.getElementById('reviewly-badge');
  fetch('https://widgets.reviewly.test/v1/badge.json?shop=shopfront').then(function (r) { return r.json(); })
    .then(function (b) {
      if (!el) return;
      var img = document.createElement('img');
      img.src = 'https://widgets.reviewly.test/v1/stars-' + Math.round(b.rating) + '.svg';
      img.width = 100; img.height = 20;
      el.appendChild(img);
      el.appendChild(document.createTextNode(' ' + b.rating + ' from ' + b.count + ' reviews'));
    }).catch(function () {});
})();
