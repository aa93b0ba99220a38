-- title: Where the registered population comes from
-- definition: The source of the list sizes that referral rates are per 1,000 of: the population extract when it has rows, else the practice list sizes NHS England publishes (ingest --list-sizes) of the practices the people extract names, with that file's extract date.
-- population: The population extract, or the practices of the people extract found in the published list sizes.
-- statistic: None: the source, its date, and how many practices it gives a list for.
-- caveats: Practices of the people extract missing from the published file have no list, so their rates are blank.
WITH people_practices AS (
    SELECT DISTINCT practice_code FROM people
),
published AS (
    SELECT min(l.source) AS source, max(l.extract_date) AS extract_date, count(DISTINCT l.practice_code) AS practices
    FROM practice_list_sizes l JOIN people_practices p ON p.practice_code = l.practice_code
),
extract AS (
    SELECT count(DISTINCT practice_code) AS practices FROM population
)
SELECT CASE WHEN e.practices > 0 THEN 'the population extract' ELSE p.source END AS source,
       CASE WHEN e.practices > 0 THEN NULL ELSE p.extract_date END AS extract_date,
       CASE WHEN e.practices > 0 THEN e.practices ELSE p.practices END AS practices
FROM extract e CROSS JOIN published p
WHERE e.practices > 0 OR p.practices > 0
