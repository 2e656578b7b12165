-- patch-latency-unmeasured: one row when some device is below its target
-- now although no report in its history carries an OS version below it
-- (Kandji's status exports carry no OS version: the version comes from
-- the inventory, which keeps no history).  An empty Patch latency sheet
-- then says why (templates/patch-latency.tmpl, empty_if) instead of that
-- no device has been below its target.
SELECT 1 AS unmeasured
  FROM ev_final
 WHERE below
 LIMIT 1;
