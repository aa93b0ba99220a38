-- title: Local ONS4 means
-- definition: The ONS personal well-being means (Annual Population Survey, given at ingest with --wellbeing-estimates) of England and of the local authority named in the spec ([wellbeing] local_authority, or measures --local-authority), for each indicator in the latest survey year with a value, as published with their 95% confidence intervals.
-- population: Adults aged 16 and over in the area, as surveyed by ONS: not the scheme's cohort.
-- statistic: None: ONS's published means and intervals, beside the cohort's baseline and follow-up means in the report.
-- caveats: ONS flags some local estimates as of low reliability (status u); the survey year need not match the reporting period; a population mean is context, not a comparison group.
WITH wanted AS (
    SELECT area_code, area_name, indicator, year_start, mean, lower, upper, status, source,
           row_number() OVER (PARTITION BY area_code, indicator ORDER BY year_start DESC) AS pick
    FROM wellbeing_estimates
    WHERE (area_code = 'E92000001' OR area_code = $local_authority) AND mean IS NOT NULL
)
SELECT area_code, area_name, indicator, year_start, mean, lower, upper, status, source
FROM wanted WHERE pick = 1
ORDER BY CASE WHEN area_code = 'E92000001' THEN 1 ELSE 0 END, area_code, indicator
