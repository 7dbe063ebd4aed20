/* shopfront app: every widget is rendered from an API response. The data
   endpoints are loaded as scripts (they delay the load event, as the
   product images they render do); cart and session are fetched. */
(function () {
  var CDN = 'https://static.shopfront-cdn.test';
  window.Shopfront = {
    render: function (name, data) {
      var box = document.getElementById('w-' + name);
      if (!box) return;
      var cards = h('div', { 'class': 'cards' });
      (data.items || []).forEach(function (it) {
        cards.appendChild(h('div', { 'class': 'card' }, [
          h('img', { src: CDN + '/img/p-' + it.img + '.svg', alt: it.title, width: '120', height: '90' }),
          h('div', {}, [it.title + ' — ' + it.price])
        ]));
      });
      box.appendChild(cards);
    }
  };
  ['products', 'recommendations', 'deals'].forEach(function (name) {
    var s = document.createElement('script');
    s.src = '/api/v1/' + name + '.js';
    s.onerror = function () {
      var box = document.getElementById('w-' + name);
      if (box) box.appendChild(h('p', { 'class': 'empty' }, ['Could not load ' + name + '.']));
    };
    document.body.appendChild(s);
  });
  fetch('/api/v1/cart', { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (c) { if (c) document.getElementById('cart-badge').textContent = 'cart (' + c.count + ')'; })
    .catch(function () {});
  fetch('/api/v1/session', { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (s) { if (s) document.getElementById('hello').textContent = 'Hello, ' + s.name; })
    .catch(function () {});
})();
