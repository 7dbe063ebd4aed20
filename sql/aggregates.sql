-- faultlens aggregates, table schema 1 (docs/data-model.md).
--
-- Run each statement over the tables `faultlens export` wrote (register
-- each table directory under its own name) and write each result as a
-- table named after its `-- name:` line. `faultlens analyze --aggregates
-- DIR` reads those tables back. One dialect for Apache Spark SQL, polars
-- SQL and DataFusion: subqueries in FROM, no aliases in GROUP BY, no
-- engine-specific functions.
--
-- Row tables keep the rows whose sample_key (a stable 32-bit hash of the
-- record's file and line, written by faultlens) is below the threshold:
-- every engine keeps the same rows, and a union of samples is a sample
-- (mergeable). The *_bins tables count every row per bin of {bin_ms} ms
-- (UTC-aligned), so counts and error rates stay exact when only a sample
-- of rows is kept; a window edge inside a bin moves at most one bin's
-- counts to the neighbouring window.

-- name: inputs
SELECT * FROM inputs;

-- name: first_party
SELECT * FROM first_party;

-- name: changes
SELECT * FROM changes;

-- name: sample
SELECT CAST({sample_below} AS BIGINT) AS sample_below,
       CAST(4294967296 AS BIGINT) AS key_space,
       CAST({bin_ms} AS BIGINT) AS bin_ms,
       COUNT(*) AS inputs
FROM inputs;

-- name: requests
SELECT * FROM requests WHERE sample_key < {sample_below};

-- name: pages
SELECT * FROM pages WHERE sample_key < {sample_below};

-- name: probes
SELECT * FROM probes WHERE sample_key < {sample_below};

-- name: server
SELECT * FROM server WHERE sample_key < {sample_below};

-- name: request_bins
SELECT bin_start_ms, file, vantage, host, endpoint, party, resource_type, edge,
       status, error_class, is_error, COUNT(*) AS n
FROM (
  SELECT ts_ms - (ts_ms % {bin_ms}) AS bin_start_ms, file, vantage, host, endpoint,
         party, resource_type,
         CASE WHEN edge_provider IS NULL AND edge_cache IS NULL
              THEN FALSE ELSE TRUE END AS edge,
         status, error_class, is_error
  FROM requests
) r
GROUP BY bin_start_ms, file, vantage, host, endpoint, party, resource_type, edge,
         status, error_class, is_error;

-- name: probe_bins
SELECT bin_start_ms, region, target, status, error_class, is_error,
       COUNT(*) AS n
FROM (
  SELECT ts_ms - (ts_ms % {bin_ms}) AS bin_start_ms, region, target, status,
         error_class, is_error
  FROM probes
  WHERE kind = 'http'
) p
GROUP BY bin_start_ms, region, target, status, error_class, is_error;
