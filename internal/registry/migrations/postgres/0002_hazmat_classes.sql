-- Dangerous-goods classes (GB 6944) licensed to an operator (危货经营范围)
-- and approved for a vehicle or trailer, as JSON lists of class or
-- division codes ("2.1", "3"). Used by the e-waybill's checks at issue.
ALTER TABLE registry_operators ADD COLUMN hazmat_classes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE registry_vehicles ADD COLUMN hazmat_classes TEXT NOT NULL DEFAULT '[]';
