// folium writes `var callback = <this file>;` into the page: so this file is one function expression.
function (row) {
    // row: [lat, lon, "No.n name", "schedule"]; text is set with textContent, never as HTML.
    var marker = L.marker(new L.LatLng(row[0], row[1]));
    marker.bindPopup(function () {
        var div = document.createElement("div");
        var title = document.createElement("strong");
        title.textContent = row[2];
        div.appendChild(title);
        div.appendChild(document.createElement("br"));
        div.appendChild(document.createTextNode(row[3]));
        return div;
    });
    return marker;
}
