// Package data is the root of what brings data into blackstart or keeps
// it; it holds no code of its own. Each sub-package does one job:
//
//   - data/alibaba imports the Alibaba GPU cluster trace as a model;
//   - data/generate writes synthetic models: realistic sites of any size
//     and the incident-scale platform, and synthetic meter readings;
//   - data/events reads and writes recovery progress event files (JSON
//     Lines, CSV);
//   - data/netbox imports a NetBox power inventory (saved API responses or
//     a live NetBox) as a model, with its mapping back to NetBox and an
//     import report, and generates NetBox-shaped inventories;
//   - data/readings reads the readings files PDUs and meters export (CSV,
//     JSON Lines);
//   - data/store keeps models over time, and their measured loads, in one
//     SQLite database.
//
// The core packages (topology, power, placement, estimate) never import
// data: imports flow from data to the core.
package data
