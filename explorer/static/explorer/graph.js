/* The ecosystem graph, drawn with Cytoscape.js from the graph endpoint
   (/api/v1/insights/graph/) with the filters of the form above it; changing a filter asks
   the endpoint again. Clicking a node opens its explorer page. */
(function () {
  "use strict";

  var form = document.getElementById("graph-filters");
  var container = document.getElementById("graph");
  var COLOURS = {
    company: "#1f4e79", brand: "#c0392b", alliance: "#8e44ad", operating_system: "#16a085",
    driver_assist_stack: "#d35400", chip: "#2c3e50", vehicle_model: "#7f8c8d"
  };
  var PAGES = {
    company: "companies", brand: "brands", alliance: "alliances", operating_system: "operating-systems",
    driver_assist_stack: "driver-assist-stacks", chip: "chips", vehicle_model: "vehicle-models"
  };
  var cy = null;

  function params() {
    var query = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (value) { query.append(name, value); }
    });
    return query;
  }

  function show(graph) {
    var elements = graph.nodes.map(function (node) {
      return { data: { id: node.id, label: node.name, kind: node.kind, slug: node.slug } };
    }).concat(graph.edges.map(function (edge, index) {
      return { data: { id: "e" + index, source: edge.source, target: edge.target, kind: edge.kind } };
    }));
    if (cy) { cy.destroy(); }
    cy = cytoscape({
      container: container,
      elements: elements,
      layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: 8000 },
      minZoom: 0.05,
      maxZoom: 4,
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 9, width: 12, height: 12, "background-color": function (n) { return COLOURS[n.data("kind")]; } } },
        { selector: "edge", style: { width: 1, "line-color": "#b0b7bf", "curve-style": "bezier", "target-arrow-shape": "triangle", "target-arrow-color": "#b0b7bf", "arrow-scale": 0.6 } }
      ]
    });
    cy.on("tap", "node", function (event) {
      var node = event.target;
      window.location.href = "/" + PAGES[node.data("kind")] + "/" + node.data("slug") + "/";
    });
    document.getElementById("graph-node-count").textContent = graph.counts.nodes;
    document.getElementById("graph-edge-count").textContent = graph.counts.edges;
    container.dataset.nodes = graph.counts.nodes;
    container.dataset.edges = graph.counts.edges;
    container.dataset.state = "drawn";
  }

  function draw() {
    var query = params().toString();
    container.dataset.state = "loading";
    fetch(form.dataset.api + (query ? "?" + query : ""), { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        if (!answer.ok) {
          container.dataset.state = "refused";
          container.textContent = JSON.stringify(answer.body);
          return;
        }
        show(answer.body);
        window.history.replaceState(null, "", query ? "?" + query : window.location.pathname);
      });
  }

  form.addEventListener("change", draw);
  form.addEventListener("submit", function (event) { event.preventDefault(); draw(); });
  draw();
})();
