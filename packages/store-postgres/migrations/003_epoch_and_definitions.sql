-- @sched/store-postgres, migration 003: noticing that the store lost its data, and schedule
-- definitions written by compare-and-set.
--
--   * <prefix>meta: named values about the store's data. Its row `epoch` is the id of the data the
--     store holds (`Store.epoch()`), created by the first `epoch()` call, not here, so that a store
--     whose tables were emptied (TRUNCATE) or dropped and created again gets a new id, and every
--     instance, which compares the id every `lockRefresh`, notices the loss;
--   * schedules.defined_at and defined_by: who defined the stored definition of a schedule, and
--     when; `saveSchedule` compares them before it replaces a definition. Existing schedules take
--     their created_at and no instance. An instance of the previous release, still running during
--     a rolling deploy, writes schedules without them: a new schedule then takes the server's
--     now() and no instance, and a replaced one keeps its stamp.
--
-- Placeholders as in 001_init.sql. Quick on any table size: the new columns have a constant
-- default (no rewrite of the table), and only the schedules are updated.

CREATE TABLE "{{schema}}"."{{prefix}}meta" (
  name text COLLATE "C" NOT NULL,
  value text NOT NULL,
  CONSTRAINT "{{prefix}}meta_pkey" PRIMARY KEY (name)
);

ALTER TABLE "{{schema}}"."{{prefix}}schedules"
  ADD COLUMN defined_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN defined_by text;

UPDATE "{{schema}}"."{{prefix}}schedules" SET defined_at = created_at;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (3, '003_epoch_and_definitions');
