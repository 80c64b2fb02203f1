/**
 * The report's only script (inline, pinned by hash in its CSP): the text filter (every word must match),
 * the decision filter, the count of calls shown, and a click (or Enter) on a call in a graph filters the
 * table to that call.
 *
 * @example
 * ```ts
 * const html = `<script>${REPORT_SCRIPT}</script>`;
 * ```
 */
export const REPORT_SCRIPT = `
(function () {
  'use strict';
  var input = document.getElementById('filter');
  var select = document.getElementById('decision-filter');
  var shown = document.getElementById('shown');
  var table = document.getElementById('calls');
  if (!input || !select || !shown || !table) return;
  var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr'));
  var texts = rows.map(function (row) { return (row.textContent || '').toLowerCase(); });
  function apply() {
    var terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var verdict = select.value;
    var count = 0;
    rows.forEach(function (row, i) {
      var match = (verdict === '' || row.getAttribute('data-verdict') === verdict) &&
        terms.every(function (term) { return texts[i].indexOf(term) !== -1; });
      row.hidden = !match;
      if (match) count++;
    });
    shown.textContent = count + ' of ' + rows.length + ' calls shown';
  }
  input.addEventListener('input', apply);
  select.addEventListener('change', apply);
  Array.prototype.forEach.call(document.querySelectorAll('svg.graph g.node.call'), function (node) {
    function pick() {
      input.value = node.getAttribute('data-call-id') || '';
      select.value = '';
      apply();
      table.scrollIntoView({ block: 'start' });
    }
    node.addEventListener('click', pick);
    node.addEventListener('keydown', function (event) { if (event.key === 'Enter') pick(); });
  });
  apply();
})();
`;
