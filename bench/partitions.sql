-- Monthly partitions of activity (same names and bounds as the sidecar's MonthPartition) from
-- the month :days days ago to three months ahead.
SELECT set_config('bench.days', :'days', false) \gset
DO $$
DECLARE
    month date := date_trunc('month', (now() AT TIME ZONE 'UTC') - make_interval(days => current_setting('bench.days')::int))::date;
BEGIN
    WHILE month <= (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months')::date LOOP
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF activity FOR VALUES FROM (%L) TO (%L)',
                       'activity_' || to_char(month, 'YYYY_MM'), month::text || ' 00:00:00+00',
                       (month + interval '1 month')::date::text || ' 00:00:00+00');
        month := (month + interval '1 month')::date;
    END LOOP;
END $$;
