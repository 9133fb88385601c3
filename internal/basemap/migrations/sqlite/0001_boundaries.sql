-- Administrative boundaries imported from GeoJSON for the basemap, stored
-- in WGS-84 whatever the datum of the file (GCJ-02 input is converted).
-- key is the adcode when the file gives one, else the name: importing the
-- same area again replaces it.
CREATE TABLE basemap_boundary (
    id           INTEGER PRIMARY KEY,
    key          TEXT    NOT NULL UNIQUE,
    name         TEXT    NOT NULL,
    adcode       TEXT    NOT NULL,
    admin_level  INTEGER NOT NULL,
    source_datum TEXT    NOT NULL,
    geometry     TEXT    NOT NULL,
    imported_ms  INTEGER NOT NULL
);
