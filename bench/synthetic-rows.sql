-- Synthetic activity rows for the analytics benchmark, written as COPY text to standard output.
-- psql variables: rows (how many), days (spread over the last N days), users (distinct user ids).
-- Used as:  psql -v rows=... -f synthetic-rows.sql | psql -c "COPY activity (...) FROM STDIN"
-- Types are skewed (views dominate), users uniform, times uniform over the period.
COPY (
    SELECT gen_random_uuid(),
           now() - random() * make_interval(days => :days),
           'user-' || (1 + floor(random() * :users))::int,
           (ARRAY['report.view', 'report.view', 'report.view', 'report.list', 'report.list', 'report.download',
                  'login', 'logout', 'report.create', 'report.share'])[1 + floor(random() * 10)::int],
           'synthetic activity ' || g,
           'GET',
           '/api/reports/' || (g % 1000) || '/',
           200,
           ('10.' || (g % 250) || '.' || ((g / 250) % 250) || '.' || (1 + g % 200))::inet,
           'bench/1.0',
           '{"synthetic": true}',
           'req-' || g,
           round((random() * 100)::numeric, 3),
           '127.0.0.1'::inet,
           NULL,
           false,
           'bench.rule'
    FROM generate_series(1, :rows) AS g
) TO STDOUT;
