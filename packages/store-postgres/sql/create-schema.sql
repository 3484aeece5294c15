-- Creates the schema. Run only when it is missing: CREATE SCHEMA checks the database's CREATE
-- privilege even with IF NOT EXISTS, which a restricted role may not have for an existing schema.
CREATE SCHEMA IF NOT EXISTS "{{schema}}"
