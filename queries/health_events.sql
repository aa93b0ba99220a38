-- title: Impact on the health and care system: service use events
-- definition: Every GP appointment, A&E attendance, emergency admission and outpatient attendance in the warehouse, with its person and date. The first and last event dates give the span of event data (the extract end censors every window).
-- population: All health_events rows.
-- statistic: None in SQL: events are gathered per person and counted per window in Rust, including the registered population's rates by age band and sex (people never referred) that give the referred people's expected events and standardised ratios, and each PCN's events after against before referral in equal windows for the ratio-of-counts funnels.
-- caveats: Unordered on purpose: sprout sorts each person's events itself, so the result does not depend on row order, and sorting tens of millions of rows in SQL would only cost time.
SELECT person_id, event_date, setting
FROM health_events
