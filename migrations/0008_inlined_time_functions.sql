-- jobd_micros and jobd_ts, inlined by the planner (issue #8, bench/README.md).
--
-- Their first bodies called functions that are only STABLE (extract from timestamptz,
-- timestamptz + interval) from functions declared IMMUTABLE, so the planner never inlined them:
-- every statement that used one ran it as a SQL function, its body loaded and planned anew per
-- statement. The same results from IMMUTABLE parts only: the difference of two timestamptz, and
-- UTC given by name. Exact both ways for instants up to the year 2255 (2^53 microseconds), as
-- before.
CREATE OR REPLACE FUNCTION jobd_micros(t timestamptz) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (extract(epoch FROM t - timestamptz 'epoch') * 1000000)::bigint;
CREATE OR REPLACE FUNCTION jobd_ts(micros bigint) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (timestamp 'epoch' + micros * interval '1 microsecond') AT TIME ZONE 'UTC';
