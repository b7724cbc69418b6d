-- The module's log in ClickHouse, one row per log line, as
-- `icp-report --flatten` writes it (tools/report/README.md, "ClickHouse"):
--
--   clickhouse-client --multiquery < tools/report/clickhouse.sql
--   icp-report --flatten access.log* \
--       | clickhouse-client --query "INSERT INTO icp.log FORMAT JSONEachRow"
--   icp-report --clickhouse 'http://127.0.0.1:8123/?database=icp'
--
-- Works on ClickHouse 18.16 (Debian bookworm) and later.  Every line is a
-- row, the malformed ones and those of other types too, so that the
-- report's summary counts them as reading the files does.

CREATE DATABASE IF NOT EXISTS icp;

CREATE TABLE IF NOT EXISTS icp.log
(
    kind         Enum8('exposure' = 1, 'conversion' = 2, 'other' = 3,
                       'malformed' = 4),
    -- milliseconds since 1970-01-01T00:00:00Z: 18.16 has no DateTime64,
    -- and the window and the first exposure need the milliseconds
    ts           Int64,
    vid          String,
    -- exposures
    exp          String,
    var          String,
    phase        String,
    seg          String,
    per          String,
    weight_vars  Array(String),
    -- the bits of each weight's double (flatten.c says why)
    weight_bits  Array(UInt64),
    -- conversions
    goal         String,
    has_value    UInt8,
    value_bits   UInt64,
    assign_exp   Array(String),
    assign_var   Array(String),
    bot          UInt8,
    preview      UInt8,
    -- for people querying by hand: the numbers as numbers
    value        Float64 MATERIALIZED
                     reinterpretAsFloat64(reinterpretAsString(value_bits)),
    weights      Array(Float64) MATERIALIZED arrayMap(
                     b -> reinterpretAsFloat64(reinterpretAsString(b)),
                     weight_bits),
    day          Date MATERIALIZED toDate(toDateTime(intDiv(ts, 1000)), 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (kind, exp, vid, ts);
