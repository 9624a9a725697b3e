/* The settlement map (Leaflet, vendored in vendor/leaflet/): replaces the server-drawn
   SVG in each [data-map-features] box with a map of the GeoJSON at that URL.
   Background tiles only from data-map-tiles (the operator's HESABU_MAP_TILES); without
   it no tile is requested and the shapes draw on a plain background. A metric scale bar
   always. The box gets data-map-ready="1" once drawn (data-map-ready="error" if not). */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  var COLOURS = { accent: "#0b3d91", bad: "#a10b0b", structure: "#b35c00" };

  function settlementStyle(feature) {
    // Points keep the style of pointLayer (L.geoJSON applies this to them too).
    if (feature.geometry.type === "Point") { return {}; }
    var threat = feature.properties.threat;
    return { className: "map-boundary", color: threat ? COLOURS.bad : COLOURS.accent,
             weight: 2, fillOpacity: 0.15 };
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  // Past this many structures they draw on one canvas (SVG elements get slow).
  var SVG_STRUCTURES = 3000;

  function pointLayer(box, many) {
    var canvas = many ? L.canvas({ padding: 0.2 }) : null;
    return function (feature, latlng) {
      var p = feature.properties;
      if (p.kind === "structure") {
        var style = { className: "map-structure", radius: 4, weight: 1, color: "#fff",
                      fillColor: COLOURS.structure, fillOpacity: 0.9 };
        if (canvas) { style.renderer = canvas; }
        return L.circleMarker(latlng, style);
      }
      return L.circleMarker(latlng, { className: "map-settlement-point", radius: 7, weight: 2,
                                      color: "#fff", fillOpacity: 1,
                                      fillColor: p.threat ? COLOURS.bad : COLOURS.accent });
    };
  }

  function popup(box) {
    return function (feature, layer) {
      var p = feature.properties;
      var div = document.createElement("div");
      if (p.kind === "structure") {
        var title = document.createElement("strong");
        title.textContent = box.dataset.mapStructure +
          (p.use ? " · " + p.use.replace(/_/g, " ") : "");
        div.appendChild(title);
        div.appendChild(document.createElement("br"));
        div.appendChild(link(p.href, box.dataset.mapOpenStructure));
      } else {
        div.appendChild(link(p.href, p.name || p.id));
        if (p.kind !== "boundary") {
          layer.bindTooltip(p.name || p.id, { permanent: true, direction: "right",
                                              className: "map-name" });
        }
      }
      layer.bindPopup(div);
    };
  }

  function draw(box) {
    var svg = box.querySelector("svg, .map-empty");
    var holder = document.createElement("div");
    holder.className = "leaflet-holder" + (box.dataset.mapTiles ? "" : " no-tiles");
    holder.setAttribute("role", "region");
    holder.setAttribute("aria-label", box.dataset.mapLabel || "Map");
    box.appendChild(holder);
    var map = L.map(holder, { scrollWheelZoom: false, attributionControl: !!box.dataset.mapTiles });
    if (box.dataset.mapTiles) {
      L.tileLayer(box.dataset.mapTiles, { maxZoom: 19,
                                          attribution: box.dataset.mapAttribution || "" })
        .addTo(map);
    }
    L.control.scale({ imperial: false }).addTo(map);

    fetch(box.dataset.mapFeatures, { credentials: "same-origin",
                                     headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var structures = data.features.filter(function (f) {
          return f.properties.kind === "structure";
        }).length;
        box.dataset.mapStructures = String(structures);
        var layer = L.geoJSON(data, { style: settlementStyle,
                                      pointToLayer: pointLayer(box, structures > SVG_STRUCTURES),
                                      onEachFeature: popup(box) }).addTo(map);
        var bounds = layer.getBounds();
        if (bounds.isValid()) {
          map.fitBounds(bounds, { padding: [20, 20], maxZoom: 18 });
        } else {
          map.setView([0, 0], 2);
        }
        if (svg) { svg.hidden = true; svg.style.display = "none"; }
        box.dataset.mapReady = "1";
      })
      .catch(function () {
        holder.remove();
        var note = document.createElement("p");
        note.className = "hint";
        note.textContent = box.dataset.mapFailed || "";
        box.appendChild(note);
        box.dataset.mapReady = "error";
      });
  }

  document.querySelectorAll("[data-map-features]").forEach(draw);
})();
