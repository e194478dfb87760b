// The scripts that run in the report page. They are plain browser JavaScript
// kept as strings (not compiled functions turned back into text, which a
// bundler may decorate with helpers the page does not have).
//
// The page body carries its own state for whoever checks it headless:
//   data-charts        how many charts the page holds
//   data-charts-drawn  how many of them uPlot has drawn (its draw hook ran)
//   data-errors        every script error, " | "-separated; empty when none
// Each chart box gets data-drawn="1", bars charts data-bars="<bars drawn>",
// and with ?selftest in the URL each box gets data-series-pixels: per series,
// how many canvas pixels carry that series' colour.

/** First script in <body>: records every error, including uPlot failing to load. */
export const ERROR_TRAP_SCRIPT = String.raw`(function () {
  var errors = [];
  window.__mqlabError = function (msg) {
    errors.push(String(msg));
    if (document.body) document.body.setAttribute('data-errors', errors.join(' | '));
  };
  window.addEventListener('error', function (e) {
    window.__mqlabError((e.message || 'script error') + (e.filename ? ' at ' + e.filename + ':' + e.lineno : ''));
  });
  window.addEventListener('unhandledrejection', function (e) {
    var r = e.reason;
    window.__mqlabError('unhandled rejection: ' + (r && r.message ? r.message : String(r)));
  });
})();`;

/** Last script: draws every chart listed in #mqlab-charts with uPlot. */
export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var body = document.body;
  var report = window.__mqlabError || function (m) { body.setAttribute('data-errors', String(m)); };
  var HEIGHT = 320;
  var selftest = /[?&]selftest(=|&|$)/.test(window.location.search);
  var specs;
  try {
    specs = JSON.parse(document.getElementById('mqlab-charts').textContent || '[]');
  } catch (e) {
    report('chart data does not parse: ' + e.message);
    return;
  }
  if (typeof uPlot !== 'function') {
    report('uPlot did not load');
    return;
  }

  var drawn = 0;
  var plots = [];

  function finite(v) { return typeof v === 'number' && isFinite(v); }

  function short(v) {
    if (!finite(v)) return '—';
    return v.toLocaleString('en-US', { maximumSignificantDigits: 3 });
  }

  function legendNum(u, v) {
    if (!finite(v)) return '—';
    var a = Math.abs(v);
    return v.toLocaleString('en-US', a >= 1000 ? { maximumFractionDigits: 0 } : a >= 1 ? { maximumFractionDigits: 2 } : { maximumSignificantDigits: 3 });
  }

  // Room for the longest tick label (uPlot's fixed default cuts long numbers).
  function axisSize(u, values, axisIdx, cycleNum) {
    var axis = u.axes[axisIdx];
    if (cycleNum > 1) return axis._size;
    var size = axis.ticks.size + axis.gap;
    var longest = '';
    (values || []).forEach(function (v) {
      if (v != null && String(v).length > longest.length) longest = String(v);
    });
    if (longest) {
      u.ctx.font = axis.font[0];
      size += u.ctx.measureText(longest).width / uPlot.pxRatio;
    }
    return Math.ceil(size) + 6;
  }

  // y from zero: bars and throughput read honestly only against a zero base.
  function fromZero(u, min, max) {
    if (!finite(min) || !finite(max)) return [0, 1];
    var lo = Math.min(0, min), hi = Math.max(0, max);
    if (hi === lo) hi = lo + 1;
    var r = uPlot.rangeNum(lo, hi, 0.1, true);
    if (min >= 0) r[0] = 0;
    if (max <= 0) r[1] = 0;
    return r;
  }

  function dashOf(spec, i) {
    return spec.dashed && spec.dashed[i] ? [7, 4] : undefined;
  }

  function drawMarkers(u, markers) {
    var ctx = u.ctx, b = u.bbox, pr = uPlot.pxRatio;
    ctx.save();
    ctx.font = Math.round(11 * pr) + 'px system-ui, sans-serif';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    markers.forEach(function (m, i) {
      var x = Math.round(u.valToPos(m.x, 'x', true));
      if (x < b.left - 1 || x > b.left + b.width + 1) return;
      ctx.strokeStyle = '#444';
      ctx.lineWidth = pr;
      ctx.setLineDash([4 * pr, 3 * pr]);
      ctx.beginPath();
      ctx.moveTo(x + 0.5, b.top);
      ctx.lineTo(x + 0.5, b.top + b.height);
      ctx.stroke();
      var text = String(m.label);
      var w = ctx.measureText(text).width;
      var y = b.top + 2 * pr + (i % 3) * 14 * pr;
      var tx = x + 4 * pr;
      if (tx + w > b.left + b.width) tx = x - 4 * pr - w;
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(tx - 2 * pr, y - pr, w + 4 * pr, 14 * pr);
      ctx.fillStyle = '#222';
      ctx.fillText(text, tx, y);
    });
    ctx.restore();
  }

  function buildLine(spec) {
    var c = spec.chart;
    var idx = [];
    for (var i = 0; i < c.x.length; i++) {
      var x = c.x[i];
      if (finite(x) && (!c.logX || x > 0)) idx.push(i);
    }
    idx.sort(function (a, b) { return c.x[a] - c.x[b]; });
    var xs = idx.map(function (i) { return c.x[i]; });
    var data = [xs];
    c.series.forEach(function (s) {
      data.push(idx.map(function (i) { var v = s.values[i]; return finite(v) ? v : null; }));
    });
    var markers = (c.markers || []).filter(function (m) { return finite(m.x) && (!c.logX || m.x > 0); });
    var xAxis = { label: c.xLabel };
    var xScale = { time: false };
    if (c.logX) {
      xScale = { time: false, distr: 3, log: 10 };
      if (xs.length > 0) {
        var x0 = xs[0], x1 = xs[xs.length - 1];
        xScale.range = function () { return [x0 / 1.25, x1 * 1.25]; };
      }
      if (xs.length > 0 && xs.length <= 16) {
        // Partition counts and the like: tick exactly at the measured values.
        xAxis.splits = function () { return xs.slice(); };
        xAxis.filter = function (u, splits) { return splits; };
        xAxis.values = function (u, splits) { return splits.map(function (v) { return legendNum(u, v); }); };
      }
    }
    return {
      data: data,
      opts: {
        scales: { x: xScale, y: { range: fromZero } },
        axes: [xAxis, { label: c.yLabel, size: axisSize }],
        series: [{ label: c.xLabel, value: legendNum }].concat(c.series.map(function (s, i) {
          return {
            label: s.label,
            stroke: spec.colors[i],
            width: 2,
            dash: dashOf(spec, i),
            points: { show: xs.length <= 60, size: 5 },
            value: legendNum,
          };
        })),
        hooks: markers.length ? { draw: [function (u) { drawMarkers(u, markers); }] } : {},
      },
    };
  }

  // Grouped bars: category i spans [i - 0.5, i + 0.5] on a linear x scale; the
  // group takes 80% of it and series k's bar starts at i - 0.4 + k * width.
  // uPlot's bars path builder places each bar from its disp.x0 facet.
  function buildBars(spec, el) {
    var c = spec.chart;
    var n = c.categories.length, m = Math.max(1, c.series.length);
    var GROUP = 0.8, bw = GROUP / m;
    var xs = c.categories.map(function (_, i) { return i; });
    var bars = {};
    var data = [xs];
    c.series.forEach(function (s) {
      data.push(xs.map(function (i) { var v = s.values[i]; return finite(v) ? v : null; }));
    });
    var series = [{
      label: 'category',
      value: function (u, v) { return v == null ? '—' : String(c.categories[v] != null ? c.categories[v] : ''); },
    }].concat(c.series.map(function (s, k) {
      var x0 = xs.map(function (i) { return i - GROUP / 2 + k * bw; });
      var sizes = xs.map(function () { return bw; });
      return {
        label: s.label,
        fill: spec.colors[k],
        stroke: spec.colors[k],
        width: 0,
        points: { show: false },
        value: legendNum,
        paths: uPlot.paths.bars({
          size: [1, Infinity, 1],
          gap: 1,
          disp: {
            x0: { unit: 1, values: function () { return x0; } },
            size: { unit: 1, values: function () { return sizes; } },
          },
          each: function (u, si, i) { bars[si + ':' + i] = 1; el.setAttribute('data-bars', String(Object.keys(bars).length)); },
        }),
      };
    }));
    function valueLabels(u) {
      var ctx = u.ctx, pr = uPlot.pxRatio;
      ctx.save();
      ctx.font = Math.round(11 * pr) + 'px system-ui, sans-serif';
      ctx.fillStyle = '#222';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      var wpx = Math.abs(u.valToPos(bw, 'x', true) - u.valToPos(0, 'x', true));
      c.series.forEach(function (s, k) {
        xs.forEach(function (i) {
          var v = s.values[i];
          if (!finite(v)) return;
          var text = short(v);
          if (ctx.measureText(text).width > wpx + 6 * pr) return;
          var cx = u.valToPos(i - GROUP / 2 + (k + 0.5) * bw, 'x', true);
          var cy = u.valToPos(v, 'y', true);
          if (v < 0) { ctx.textBaseline = 'top'; cy += 2 * pr; } else { ctx.textBaseline = 'bottom'; cy -= 2 * pr; }
          ctx.fillText(text, cx, cy);
        });
      });
      ctx.restore();
    }
    return {
      data: data,
      opts: {
        scales: { x: { time: false, range: function () { return [-0.5, n - 0.5]; } }, y: { range: fromZero } },
        axes: [
          {
            splits: function () { return xs.slice(); },
            values: function (u, splits) { return splits.map(function (v) { return String(c.categories[v] != null ? c.categories[v] : ''); }); },
            grid: { show: false },
          },
          { label: c.yLabel, size: axisSize },
        ],
        series: series,
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        // Values are written on the bars; the legend only names the series.
        legend: { live: false },
        hooks: { draw: [valueLabels] },
      },
    };
  }

  // Percentiles on a "nines" axis: x = -log10(1 - p/100), so 90% is 1, 99% is
  // 2, 99.9% is 3; a percentile of 100 (the maximum) goes one step past the
  // last tick and is labelled "max".
  var NINES = [[0, '0%'], [Math.log10(2), '50%'], [1, '90%'], [2, '99%'], [3, '99.9%'], [4, '99.99%'], [5, '99.999%'], [6, '99.9999%'], [7, '99.99999%']];
  function nines(p) { return -Math.log10(1 - p / 100); }

  function buildLatency(spec) {
    var c = spec.chart;
    var maxFinite = 0, minX = Infinity, hasMax = false;
    c.series.forEach(function (s) {
      s.percentiles.forEach(function (pt) {
        if (!finite(pt.percentile) || pt.percentile < 0) return;
        if (pt.percentile >= 100) { hasMax = true; return; }
        var x = nines(pt.percentile);
        if (x > maxFinite) maxFinite = x;
        if (x < minX) minX = x;
      });
    });
    var last = Math.max(2, Math.ceil(maxFinite - 1e-9));
    var maxX = last + 1;
    function xOf(p) { return p >= 100 ? maxX : nines(p); }
    var byX = {};
    c.series.forEach(function (s) {
      s.percentiles.forEach(function (pt) {
        if (finite(pt.percentile) && pt.percentile >= 0) byX[xOf(pt.percentile)] = true;
      });
    });
    var xs = Object.keys(byX).map(Number).sort(function (a, b) { return a - b; });
    var data = [xs];
    c.series.forEach(function (s) {
      var at = {};
      s.percentiles.forEach(function (pt) {
        if (finite(pt.percentile) && pt.percentile >= 0 && finite(pt.ms) && pt.ms > 0) at[xOf(pt.percentile)] = pt.ms;
      });
      data.push(xs.map(function (x) { return at[x] != null ? at[x] : null; }));
    });
    var lo = minX < Math.log10(2) - 1e-9 ? 0 : Math.log10(2);
    var hi = hasMax ? maxX : last;
    var ticks = NINES.filter(function (t) { return t[0] >= lo - 1e-9 && t[0] <= last + 1e-9; });
    if (hasMax) ticks.push([maxX, 'max']);
    var pad = (hi - lo) * 0.03;
    return {
      data: data,
      opts: {
        scales: {
          x: { time: false, range: function () { return [lo - pad, hi + pad]; } },
          y: { distr: 3, log: 10 },
        },
        axes: [
          {
            label: 'percentile',
            splits: function () { return ticks.map(function (t) { return t[0]; }); },
            values: function () { return ticks.map(function (t) { return t[1]; }); },
          },
          { label: 'latency (ms)', size: axisSize },
        ],
        series: [{
          label: 'percentile',
          value: function (u, v) {
            if (!finite(v)) return '—';
            if (hasMax && Math.abs(v - maxX) < 1e-9) return 'max';
            return String(+(100 * (1 - Math.pow(10, -v))).toFixed(4)) + '%';
          },
        }].concat(c.series.map(function (s, i) {
          return {
            label: s.label,
            stroke: spec.colors[i],
            width: 2,
            dash: dashOf(spec, i),
            spanGaps: true,
            points: { show: true, size: 6 },
            value: function (u, v) { return finite(v) ? short(v) + ' ms' : '—'; },
          };
        })),
        cursor: { drag: { x: false, y: false } },
      },
    };
  }

  function widthOf(el) { return Math.max(300, Math.floor(el.clientWidth || 0)); }

  function markDrawn(el) {
    if (el.getAttribute('data-drawn') === '1') return;
    el.setAttribute('data-drawn', '1');
    drawn++;
    body.setAttribute('data-charts-drawn', String(drawn));
  }

  specs.forEach(function (spec) {
    var el = document.getElementById(spec.target);
    if (!el) { report('no element for chart ' + spec.target); return; }
    try {
      var kind = spec.chart.kind;
      var built = kind === 'line' ? buildLine(spec) : kind === 'bars' ? buildBars(spec, el) : kind === 'latency' ? buildLatency(spec) : null;
      if (!built) throw new Error('unknown chart kind ' + kind);
      var opts = built.opts;
      opts.width = widthOf(el);
      opts.height = HEIGHT;
      opts.hooks = opts.hooks || {};
      opts.hooks.draw = (opts.hooks.draw || []).concat([function () { markDrawn(el); }]);
      var u = new uPlot(opts, built.data, el);
      plots.push({ u: u, el: el, spec: spec });
    } catch (e) {
      report(spec.target + ': ' + (e && e.message ? e.message : String(e)));
      el.className += ' chart-error';
      el.textContent = 'This chart could not be drawn: ' + (e && e.message ? e.message : String(e));
    }
  });

  // Charts follow the width of their box: window resizes and printing.
  function resizeAll() {
    plots.forEach(function (p) {
      var w = widthOf(p.el);
      if (w !== p.u.width) p.u.setSize({ width: w, height: HEIGHT });
    });
  }
  var timer = null;
  window.addEventListener('resize', function () {
    if (timer) clearTimeout(timer);
    timer = setTimeout(resizeAll, 100);
  });
  window.addEventListener('beforeprint', resizeAll);
  window.addEventListener('afterprint', resizeAll);
  if (window.matchMedia) {
    var mq = window.matchMedia('print');
    if (mq.addEventListener) mq.addEventListener('change', resizeAll);
  }

  if (selftest) {
    // For the headless check: prove each series put its colour on the canvas.
    setTimeout(function () {
      plots.forEach(function (p) {
        var cv = p.u.ctx.canvas;
        var px = p.u.ctx.getImageData(0, 0, cv.width, cv.height).data;
        var counts = p.spec.colors.map(function (hex) {
          var r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
          var n = 0;
          for (var i = 0; i < px.length; i += 4) {
            if (px[i + 3] > 200 && Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b) < 40) n++;
          }
          return n;
        });
        p.el.setAttribute('data-series-pixels', counts.join(','));
      });
      body.setAttribute('data-selftest', 'done');
    }, 50);
  }
})();`;
