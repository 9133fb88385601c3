-- The vehicle's main driver (主驾驶员): a practitioner of the same operator.
-- Checked by the service (same operator, driver qualification); a
-- practitioner who is someone's main driver cannot be deleted.
ALTER TABLE registry_vehicles ADD COLUMN driver_id BIGINT REFERENCES registry_practitioners (id);
CREATE INDEX registry_vehicles_driver ON registry_vehicles (driver_id);
