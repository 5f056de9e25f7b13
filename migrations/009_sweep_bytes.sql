-- SPDX-License-Identifier: Apache-2.0
-- 009: the blob sweep also says how many bytes it freed (the sizes of the
-- blobs it deleted), for the mda's mail_mda_store_swept_bytes_total. The
-- function is otherwise 003's: the same checks, locks and grants.
DROP FUNCTION store.sweep_blobs(bigint[], bigint, integer, interval);
CREATE FUNCTION store.sweep_blobs(freed bigint[], after bigint, scan integer, grace interval,
                                  OUT deleted integer, OUT last_id bigint, OUT freed_bytes bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ids bigint[];
  window_ids bigint[];
BEGIN
  SELECT array_agg(id ORDER BY id) INTO window_ids
    FROM (SELECT id FROM store.blobs WHERE id > after ORDER BY id LIMIT scan) w;
  last_id := CASE WHEN cardinality(window_ids) = scan THEN window_ids[scan] ELSE 0 END;
  SELECT array_agg(id) INTO ids FROM (
    SELECT b.id FROM store.blobs b
    WHERE b.id = ANY(COALESCE(freed, '{}') || COALESCE(window_ids, '{}'))
      AND b.created_at < now() - grace
      AND NOT EXISTS (SELECT 1 FROM store.messages m WHERE m.blob_id = b.id)
      AND NOT EXISTS (SELECT 1 FROM queue.jobs j WHERE j.blob_id = b.id)
      AND NOT EXISTS (SELECT 1 FROM queue.staging s WHERE s.blob_id = b.id)
    ORDER BY b.id FOR UPDATE OF b SKIP LOCKED) c;
  deleted := 0;
  freed_bytes := 0;
  IF ids IS NULL THEN RETURN; END IF;
  WITH d AS (
    DELETE FROM store.blobs b WHERE b.id = ANY(ids)
      AND NOT EXISTS (SELECT 1 FROM store.messages m WHERE m.blob_id = b.id)
      AND NOT EXISTS (SELECT 1 FROM queue.jobs j WHERE j.blob_id = b.id)
      AND NOT EXISTS (SELECT 1 FROM queue.staging s WHERE s.blob_id = b.id)
    RETURNING b.size)
  SELECT count(*), COALESCE(sum(size), 0) INTO deleted, freed_bytes FROM d;
END $$;
REVOKE ALL ON FUNCTION store.sweep_blobs(bigint[], bigint, integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION store.sweep_blobs(bigint[], bigint, integer, interval) TO mail_mda;
