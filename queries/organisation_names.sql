-- title: Names of the practices and PCNs in the data
-- definition: Each GP practice and primary care network that the people or registered population extracts name, with its name from the ODS files given at ingest: a practice's from epraccur (--ods-practices), else from the PCN membership file; a PCN's from its most recent membership record (--ods-pcns). The source states each file and the latest date it holds.
-- population: Practices and PCNs of the people and population extracts.
-- statistic: None: codes, names and where the names came from.
-- caveats: A code the ODS files do not hold has no name and is shown by its code alone; names are as ODS publishes them, in capitals.
WITH codes AS (
    SELECT 'practice' AS kind, practice_code AS code FROM people WHERE practice_code IS NOT NULL
    UNION
    SELECT 'practice' AS kind, practice_code AS code FROM population WHERE practice_code IS NOT NULL
    UNION
    SELECT 'pcn' AS kind, pcn_code AS code FROM people WHERE pcn_code IS NOT NULL
    UNION
    SELECT 'pcn' AS kind, pcn_code AS code FROM population WHERE pcn_code IS NOT NULL
),
epraccur AS (
    SELECT practice_code AS code, min(practice_name) AS name,
           min(source) || ' (records to ' || CAST(max(latest_date) AS VARCHAR) || ')' AS source
    FROM ods_practices GROUP BY practice_code
),
members AS (
    SELECT practice_code, practice_name, pcn_code, pcn_name,
           source || ' (records to ' || CAST(latest_date AS VARCHAR) || ')' AS source,
           row_number() OVER (PARTITION BY pcn_code
                              ORDER BY coalesce(start_date, DATE '1900-01-01') DESC, practice_code) AS pcn_pick,
           row_number() OVER (PARTITION BY practice_code
                              ORDER BY coalesce(start_date, DATE '1900-01-01') DESC, pcn_code) AS practice_pick
    FROM ods_pcn_members
)
SELECT c.kind, c.code,
       CASE c.kind WHEN 'practice' THEN coalesce(e.name, mp.practice_name) ELSE mc.pcn_name END AS name,
       CASE c.kind WHEN 'practice' THEN coalesce(e.source, mp.source) ELSE mc.source END AS source
FROM codes c
LEFT JOIN epraccur e ON c.kind = 'practice' AND e.code = c.code
LEFT JOIN members mp ON c.kind = 'practice' AND mp.practice_code = c.code AND mp.practice_pick = 1
LEFT JOIN members mc ON c.kind = 'pcn' AND mc.pcn_code = c.code AND mc.pcn_pick = 1
ORDER BY c.kind, c.code
