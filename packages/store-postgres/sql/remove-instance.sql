-- $1 id. The row count says whether the record existed.
DELETE FROM "{{schema}}"."{{prefix}}instances" WHERE id = $1
