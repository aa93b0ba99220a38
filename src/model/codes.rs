//! Code lists of the canonical data model.
//!
//! Each list holds the canonical code (what the warehouse stores), a label for
//! reports, and aliases that ingest also accepts (e.g. NHS Data Dictionary
//! numeric codes). Matching is case-insensitive on code, label and aliases.

use serde::Serialize;

/// One allowed value of a coded column.
#[derive(Debug, Serialize)]
pub struct Code {
    /// What the warehouse stores.
    pub code: &'static str,
    /// Human-readable label used in reports.
    pub label: &'static str,
    /// Other spellings accepted on input.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub aliases: &'static [&'static str],
}

/// A named list of allowed codes.
#[derive(Debug, Serialize)]
pub struct CodeList {
    /// Name of the list.
    pub name: &'static str,
    /// The allowed codes, in report order.
    pub codes: &'static [Code],
}

impl CodeList {
    /// The canonical code for `input` (matched on code, label or alias, ignoring case).
    ///
    /// A value that is exactly a canonical code (most values of an extract)
    /// is found by comparing bytes alone; every code resolves to itself
    /// (tested), so this finds what the full search would.
    pub fn resolve(&self, input: &str) -> Option<&'static str> {
        let input = input.trim();
        if let Some(exact) = self.codes.iter().find(|c| c.code == input) {
            return Some(exact.code);
        }
        self.codes
            .iter()
            .find(|c| {
                c.code.eq_ignore_ascii_case(input)
                    || c.label.eq_ignore_ascii_case(input)
                    || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(input))
            })
            .map(|c| c.code)
    }

    /// The canonical codes joined for an error message.
    pub fn allowed(&self) -> String {
        self.codes
            .iter()
            .map(|c| c.code)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The label of a canonical code.
    pub fn label(&self, code: &str) -> Option<&'static str> {
        self.codes.iter().find(|c| c.code == code).map(|c| c.label)
    }
}

const fn c(code: &'static str, label: &'static str) -> Code {
    Code {
        code,
        label,
        aliases: &[],
    }
}

const fn ca(code: &'static str, label: &'static str, aliases: &'static [&'static str]) -> Code {
    Code {
        code,
        label,
        aliases,
    }
}

/// Person stated gender (NHS Data Dictionary numeric codes accepted as aliases).
pub static SEX: CodeList = CodeList {
    name: "sex",
    codes: &[
        ca("female", "Female", &["F", "2"]),
        ca("male", "Male", &["M", "1"]),
        ca("indeterminate", "Indeterminate", &["I", "9"]),
        ca("not_known", "Not known", &["U", "0", "unknown"]),
    ],
};

/// NHS Data Dictionary ethnic category (2001 census categories).
pub static ETHNICITY: CodeList = CodeList {
    name: "ethnicity",
    codes: &[
        c("A", "White - British"),
        c("B", "White - Irish"),
        c("C", "White - Any other White background"),
        c("D", "Mixed - White and Black Caribbean"),
        c("E", "Mixed - White and Black African"),
        c("F", "Mixed - White and Asian"),
        c("G", "Mixed - Any other mixed background"),
        c("H", "Asian or Asian British - Indian"),
        c("J", "Asian or Asian British - Pakistani"),
        c("K", "Asian or Asian British - Bangladeshi"),
        c("L", "Asian or Asian British - Any other Asian background"),
        c("M", "Black or Black British - Caribbean"),
        c("N", "Black or Black British - African"),
        c("P", "Black or Black British - Any other Black background"),
        c("R", "Other Ethnic Groups - Chinese"),
        c("S", "Other Ethnic Groups - Any other ethnic group"),
        c("Z", "Not stated"),
        c("99", "Not known"),
    ],
};

/// The five broad ethnic groups of an ethnic category code (None for Z and 99).
pub fn ethnic_group(code: &str) -> Option<&'static str> {
    match code {
        "A" | "B" | "C" => Some("White"),
        "D" | "E" | "F" | "G" => Some("Mixed"),
        "H" | "J" | "K" | "L" => Some("Asian"),
        "M" | "N" | "P" => Some("Black"),
        "R" | "S" => Some("Other"),
        _ => None,
    }
}

/// Age bands used where a year-month of birth is not supplied, and in reports.
pub static AGE_BAND: CodeList = CodeList {
    name: "age_band",
    codes: &[
        c("0-17", "0 to 17"),
        c("18-24", "18 to 24"),
        c("25-34", "25 to 34"),
        c("35-44", "35 to 44"),
        c("45-54", "45 to 54"),
        c("55-64", "55 to 64"),
        c("65-74", "65 to 74"),
        c("75-84", "75 to 84"),
        ca("85+", "85 and over", &["85 plus"]),
    ],
};

/// The age band of an age in whole years.
pub fn age_band_of(age: i32) -> &'static str {
    match age {
        i32::MIN..=17 => "0-17",
        18..=24 => "18-24",
        25..=34 => "25-34",
        35..=44 => "35-44",
        45..=54 => "45-54",
        55..=64 => "55-64",
        65..=74 => "65-74",
        75..=84 => "75-84",
        _ => "85+",
    }
}

/// The position in [`AGE_BAND`] of an age's band (the band [`age_band_of`]
/// names), without comparing text: the health stage asks it for every
/// candidate comparator.
pub fn age_band_position(age: i32) -> u8 {
    match age {
        i32::MIN..=17 => 0,
        18..=24 => 1,
        25..=34 => 2,
        35..=44 => 3,
        45..=54 => 4,
        55..=64 => 5,
        65..=74 => 6,
        75..=84 => 7,
        _ => 8,
    }
}

/// Vintage of an IMD decile (and so of the LSOA geography it is defined on).
pub static IMD_VINTAGE: CodeList = CodeList {
    name: "imd_vintage",
    codes: &[
        ca("2019", "IMD 2019 on 2011 LSOAs", &["IMD2019", "IoD2019"]),
        ca("2025", "IMD 2025 on 2021 LSOAs", &["IMD2025", "IoD2025"]),
    ],
};

/// Who referred the person to the link worker (NHS England's list; self-referral included).
pub static REFERRAL_SOURCE: CodeList = CodeList {
    name: "referral_source",
    codes: &[
        ca("general_practice", "General practice", &["GP"]),
        c("pharmacy", "Pharmacy"),
        ca(
            "multidisciplinary_team",
            "Multi-disciplinary team",
            &["MDT"],
        ),
        c("hospital_discharge_team", "Hospital discharge team"),
        ca(
            "allied_health_professional",
            "Allied health professional",
            &["AHP"],
        ),
        c("fire_service", "Fire service"),
        c("police", "Police"),
        c("job_centre", "Job centre"),
        c("social_care", "Social care"),
        c("local_authority", "Local authority"),
        c("housing_association", "Housing association"),
        ca("vcse_organisation", "VCSE organisation", &["VCSE"]),
        ca("self_referral", "Self-referral", &["self"]),
        c("other", "Other"),
    ],
};

/// Needs and concerns recorded at referral: the four headline needs, then finer codes.
pub static NEED: CodeList = CodeList {
    name: "need",
    codes: &[
        ca("long_term_condition", "Long-term condition", &["LTC"]),
        c("mental_health", "Mental health"),
        ca(
            "loneliness_isolation",
            "Loneliness or isolation",
            &["loneliness", "isolation"],
        ),
        c("complex_social_needs", "Complex social needs"),
        ca(
            "financial",
            "Money, debt or benefits",
            &["debt", "benefits"],
        ),
        c("housing", "Housing"),
        c("employment_education", "Employment, education or training"),
        c("physical_activity", "Physical inactivity"),
        c("weight_management", "Weight management"),
        c("carer_support", "Carer support"),
        c("bereavement", "Bereavement"),
        c("substance_use", "Alcohol or substance use"),
        c("frailty_falls", "Frailty or falls"),
        c("digital_exclusion", "Digital exclusion"),
        c("other", "Other"),
    ],
};

/// Outcome of the referral.
pub static REFERRAL_STATUS: CodeList = CodeList {
    name: "referral_status",
    codes: &[
        c("accepted", "Accepted"),
        c("declined", "Declined"),
        ca(
            "did_not_attend",
            "Did not attend / not contactable",
            &["DNA", "not_contactable", "did not attend"],
        ),
    ],
};

/// How a link-worker contact took place.
pub static CONTACT_MODE: CodeList = CodeList {
    name: "contact_mode",
    codes: &[
        ca("face_to_face", "Face to face", &["F2F", "in person"]),
        ca("telephone", "Telephone", &["phone"]),
        c("video", "Video call"),
        c("home_visit", "Home visit"),
        c("group_session", "Group session"),
        ca(
            "text_or_email",
            "Text message or email",
            &["email", "text", "sms"],
        ),
        c("other", "Other"),
    ],
};

/// Kind of activity a person was connected to.
pub static ACTIVITY_TYPE: CodeList = CodeList {
    name: "activity_type",
    codes: &[
        c("arts_and_creativity", "Arts and creativity"),
        c("physical_activity", "Physical activity"),
        c("green_and_nature", "Green and nature-based activity"),
        c("befriending", "Befriending"),
        c("peer_support_group", "Peer support group"),
        c("advice_and_money", "Advice, money and benefits"),
        c("housing_support", "Housing support"),
        c("employment_and_learning", "Employment and learning"),
        c("volunteering", "Volunteering"),
        c("faith_and_culture", "Faith and cultural groups"),
        c("health_and_care_service", "Health or care service"),
        c("other", "Other"),
    ],
};

/// Kind of organisation a person was connected to.
pub static ORGANISATION_CATEGORY: CodeList = CodeList {
    name: "organisation_category",
    codes: &[
        c("charity", "Registered charity"),
        c("community_group", "Community group"),
        c("social_enterprise", "Social enterprise"),
        c("faith_group", "Faith group"),
        c("statutory_service", "Statutory service"),
        c("other", "Other"),
    ],
};

/// Health and care settings whose use is compared before and after referral.
pub static HEALTH_SETTING: CodeList = CodeList {
    name: "health_setting",
    codes: &[
        ca("gp_appointment", "GP appointment", &["gp"]),
        ca("ae_attendance", "A&E attendance", &["ae", "a&e"]),
        c("emergency_admission", "Emergency admission"),
        c("outpatient", "Outpatient attendance"),
    ],
};

/// Outcome instruments; see [`crate::model::instruments`] for their item rules.
pub static INSTRUMENT: CodeList = CodeList {
    name: "instrument",
    codes: &[
        c("ons4", "ONS personal wellbeing (ONS4)"),
        c(
            "wemwbs",
            "Warwick-Edinburgh Mental Wellbeing Scale (WEMWBS)",
        ),
        c("swemwbs", "Short WEMWBS (SWEMWBS)"),
        ca("ucla3", "UCLA 3-item loneliness scale", &["ucla-3"]),
        c("ons_loneliness", "ONS direct loneliness question"),
        ca("phq9", "PHQ-9", &["phq-9"]),
        ca("gad7", "GAD-7", &["gad-7"]),
        c("mycaw", "MYCaW (licensed)"),
        c("pam", "Patient Activation Measure (licensed)"),
        ca("eq5d", "EQ-5D (licensed)", &["eq-5d", "eq5d5l"]),
        ca(
            "star",
            "Outcomes Star / Well-being Star (licensed)",
            &["wellbeing_star"],
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_codes_labels_and_aliases_ignoring_case() {
        assert_eq!(SEX.resolve("F"), Some("female"));
        assert_eq!(SEX.resolve(" 1 "), Some("male"));
        assert_eq!(
            REFERRAL_SOURCE.resolve("Self-Referral"),
            Some("self_referral")
        );
        assert_eq!(REFERRAL_SOURCE.resolve("GP"), Some("general_practice"));
        assert_eq!(ETHNICITY.resolve("a"), Some("A"));
        assert_eq!(ETHNICITY.resolve("I"), None, "I is not an ethnic category");
        assert_eq!(ETHNICITY.resolve("99"), Some("99"));
    }

    /// Every list the data model checks, for tests over all of them.
    const LISTS: [&CodeList; 12] = [
        &SEX,
        &ETHNICITY,
        &AGE_BAND,
        &IMD_VINTAGE,
        &REFERRAL_SOURCE,
        &NEED,
        &REFERRAL_STATUS,
        &CONTACT_MODE,
        &ACTIVITY_TYPE,
        &ORGANISATION_CATEGORY,
        &HEALTH_SETTING,
        &INSTRUMENT,
    ];

    #[test]
    fn every_code_resolves_to_itself_before_any_other_codes_label_or_alias() {
        // `resolve` returns an exact code at once; that is what the search
        // in list order finds too only if no earlier code claims the same
        // spelling as its code (in another case), label or alias.
        for list in LISTS {
            for (i, code) in list.codes.iter().enumerate() {
                let earlier = list.codes[..i].iter().find(|c| {
                    c.code.eq_ignore_ascii_case(code.code)
                        || c.label.eq_ignore_ascii_case(code.code)
                        || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(code.code))
                });
                assert!(
                    earlier.is_none(),
                    "{}: '{}' is also an earlier code's code, label or alias",
                    list.name,
                    code.code
                );
                assert_eq!(list.resolve(code.code), Some(code.code));
            }
        }
    }

    #[test]
    fn ethnic_groups_follow_the_data_dictionary() {
        let groups: Vec<_> = ETHNICITY
            .codes
            .iter()
            .map(|c| ethnic_group(c.code))
            .collect();
        assert_eq!(groups.iter().filter(|g| **g == Some("White")).count(), 3);
        assert_eq!(groups.iter().filter(|g| **g == Some("Mixed")).count(), 4);
        assert_eq!(groups.iter().filter(|g| **g == Some("Asian")).count(), 4);
        assert_eq!(groups.iter().filter(|g| **g == Some("Black")).count(), 3);
        assert_eq!(groups.iter().filter(|g| **g == Some("Other")).count(), 2);
        assert_eq!(groups.iter().filter(|g| g.is_none()).count(), 2);
    }

    #[test]
    fn age_bands_have_inclusive_edges() {
        assert_eq!(age_band_of(17), "0-17");
        assert_eq!(age_band_of(18), "18-24");
        assert_eq!(age_band_of(84), "75-84");
        assert_eq!(age_band_of(85), "85+");
        for age in 0..110 {
            assert!(AGE_BAND.resolve(age_band_of(age)).is_some());
            assert_eq!(
                AGE_BAND.codes[usize::from(age_band_position(age))].code,
                age_band_of(age)
            );
        }
    }

    #[test]
    fn no_code_list_has_an_ambiguous_spelling() {
        for list in LISTS {
            for code in list.codes {
                let mut spellings = vec![code.code, code.label];
                spellings.extend(code.aliases);
                for s in spellings {
                    // Every spelling must lead back to its own code, never to another.
                    let s = s.to_ascii_lowercase();
                    assert_eq!(list.resolve(&s), Some(code.code), "{}: {s}", list.name);
                }
            }
        }
    }
}
