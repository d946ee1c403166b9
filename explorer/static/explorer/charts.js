/* Charts of the explorer's pages, drawn with Chart.js from the JSON block each page
   carries (the same figures as the page's table). A month with no figure is shaded and
   left without a point: a gap, never a zero. */
(function () {
  "use strict";

  var BLUE = "#1f4e79";
  var POINT_STYLE = { exact: "circle", approximate: "triangle", lower_bound: "rect" };
  var PRECISION = { exact: "exact", approximate: "approximate", lower_bound: "lower bound (more than)" };
  var PALETTE = ["#c0392b", "#1f4e79", "#16a085", "#d35400", "#8e44ad", "#2c3e50", "#7f8c8d", "#b7950b", "#5d6d7e"];

  function read(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  /* Shades every month without a figure, across the chart's height. */
  var gapShading = {
    id: "gapShading",
    beforeDatasetsDraw: function (chart) {
      var values = chart.data.datasets[0].data;
      var x = chart.scales.x;
      var area = chart.chartArea;
      var step = values.length > 1 ? x.getPixelForValue(1) - x.getPixelForValue(0) : area.right - area.left;
      var ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = "rgba(160, 160, 160, 0.25)";
      values.forEach(function (value, index) {
        if (value === null) {
          var centre = x.getPixelForValue(index);
          ctx.fillRect(centre - step / 2, area.top, step, area.bottom - area.top);
        }
      });
      ctx.restore();
    }
  };

  function deliveries(canvas) {
    var data = read(canvas.dataset.source);
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: data.months,
        datasets: [{
          label: data.label + ": units delivered",
          data: data.units,
          spanGaps: false,
          borderColor: BLUE,
          borderWidth: 2,
          pointStyle: data.precision.map(function (p) { return POINT_STYLE[p] || "circle"; }),
          pointBackgroundColor: data.computed.map(function (c) { return c ? "#ffffff" : BLUE; }),
          pointBorderColor: BLUE,
          pointRadius: 4,
          pointBorderWidth: 2
        }]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: "units" } } },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (item) {
                var i = item.dataIndex;
                var text = item.formattedValue + " units, " + PRECISION[data.precision[i]];
                return data.computed[i] ? text + ", computed" : text;
              }
            }
          }
        }
      },
      plugins: [gapShading]
    });
  }

  var AXIS = { brand_share: "% of brands", weighted_share: "% of the brands' deliveries" };

  function dependencies(canvas) {
    var data = read(canvas.dataset.source);
    var shares = data[canvas.dataset.measure];
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.layers,
        datasets: data.countries.map(function (country, index) {
          return {
            label: country,
            data: shares[country].map(function (share) { return share === null ? null : Math.round(share * 1000) / 10; }),
            backgroundColor: PALETTE[index % PALETTE.length]
          };
        })
      },
      options: {
        indexAxis: "y",
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, max: 100, title: { display: true, text: AXIS[canvas.dataset.measure] } } }
      }
    });
  }

  var KINDS = { deliveries: deliveries, dependencies: dependencies };
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    KINDS[canvas.dataset.chart](canvas);
  });
})();
