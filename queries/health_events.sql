-- title: Impact on the health and care system: service use events
-- definition: Every GP appointment, A&E attendance, emergency admission and outpatient attendance in the warehouse, gathered per person: one row per person with events, and per setting the list of event dates in date order. The first and last event dates give the span of event data (the extract end censors every window).
-- population: All health_events rows.
-- statistic: None in SQL beyond the grouping: events are counted per window in Rust, by binary search in each person's dates, including the registered population's rates by age band and sex (people never referred) that give the referred people's expected events and standardised ratios, and each PCN's events after against before referral in equal windows for the ratio-of-counts funnels. The windows cannot be counted here: a comparator's windows are anchored on the referral date of the case it is matched to, and matching itself compares each candidate's use in windows anchored on many cases' dates.
-- caveats: One row per person rather than one per event, so a cluster sends back a few million rows, not every event. A setting with no events for the person is NULL. Unordered on purpose: sprout keys the rows by person, and sorting millions of lists would only cost time.
SELECT person_id,
       array_sort(array_agg(event_date) FILTER (WHERE setting = 'gp_appointment')) AS gp_appointment,
       array_sort(array_agg(event_date) FILTER (WHERE setting = 'ae_attendance')) AS ae_attendance,
       array_sort(array_agg(event_date) FILTER (WHERE setting = 'emergency_admission')) AS emergency_admission,
       array_sort(array_agg(event_date) FILTER (WHERE setting = 'outpatient')) AS outpatient
FROM health_events
GROUP BY person_id
