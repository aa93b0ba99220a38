//! The tables `sprout pool` writes. Every figure in them is worked out from
//! published (disclosure-controlled) figures, so they are shown as they are.

use crate::measures::table::{Sums, TableDef, int_label, num_label, text};

/// The table's declaration.
pub const POOLED_ESTIMATES: TableDef = TableDef {
    name: "pooled_estimates",
    description: "One group of comparable estimates from several schemes, pooled",
    queries: &[],
    columns: &[
        int_label("group", "Group number (as in the other pooled tables)"),
        text(
            "quantity",
            "What is estimated: mean_change, reliably_improved_share, did or cost_did",
        ),
        text("outcome", "The score or setting"),
        text(
            "outcome_label",
            "The score or setting as the tables label it",
        ),
        text(
            "design",
            "paired_before_after or matched_difference_in_differences",
        ),
        text("better", "Which way is better: higher or lower"),
        text(
            "settings",
            "The settings every estimate of the group shares (cohort; pool, window, wash-outs)",
        ),
        int_label("schemes", "Schemes with an estimate in the group"),
        int_label(
            "schemes_pooled",
            "Schemes pooled (those with a standard error)",
        ),
        int_label(
            "n_total",
            "Sum of the published n (pairs or matched sets) of the schemes pooled",
        ),
        num_label("estimate", "Pooled estimate (random effects)"),
        num_label(
            "lower",
            "Lower 95% limit of the headline interval (interval_method)",
        ),
        num_label("upper", "Upper 95% limit of the headline interval"),
        num_label(
            "p",
            "Two-sided p-value of the headline interval's test of no effect",
        ),
        text("interval_method", "How the headline interval is made"),
        num_label("fixed_estimate", "Inverse-variance fixed-effect estimate"),
        num_label("fixed_lower", "Its lower 95% limit (z)"),
        num_label("fixed_upper", "Its upper 95% limit (z)"),
        num_label("wald_lower", "Random-effects lower 95% limit (z)"),
        num_label("wald_upper", "Random-effects upper 95% limit (z)"),
        num_label(
            "hksj_lower",
            "Random-effects lower 95% limit (Hartung-Knapp-Sidik-Jonkman, t on schemes − 1, unmodified: narrower than Wald's where the schemes agree closely)",
        ),
        num_label(
            "hksj_upper",
            "Random-effects upper 95% limit (Hartung-Knapp-Sidik-Jonkman, unmodified)",
        ),
        num_label("tau2", "Between-scheme variance τ²"),
        text(
            "tau2_method",
            "How τ² is estimated: REML or DerSimonian-Laird",
        ),
        num_label(
            "i2",
            "I²: share of the variation between schemes beyond chance (0 to 1)",
        ),
        num_label("q", "Cochran's Q"),
        num_label("q_p", "p-value of Q (chi-squared on schemes − 1)"),
        num_label(
            "prediction_lower",
            "Lower limit of the 95% prediction interval for a new scheme (from 3 schemes)",
        ),
        num_label(
            "prediction_upper",
            "Upper limit of the 95% prediction interval",
        ),
        num_label(
            "egger_intercept",
            "Egger's test intercept (from 10 schemes)",
        ),
        num_label("egger_p", "Egger's test two-sided p-value"),
        text(
            "note",
            "Why the group is not pooled, or what to know before reading it",
        ),
        text("sources", "Each results file pooled with its SHA-256"),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const POOLED_STUDIES: TableDef = TableDef {
    name: "pooled_studies",
    description: "One scheme's estimate in one group",
    queries: &[],
    columns: &[
        int_label("group", "Group number"),
        text(
            "scheme",
            "The scheme's code (its spec's [scheme] code, else the spec's file name)",
        ),
        text("title", "The evaluation's title"),
        text("region", "The scheme's region, where declared"),
        text("icb_code", "The scheme's ICB code, where declared"),
        text("period", "The evaluation's reporting period"),
        num_label("estimate", "The scheme's published estimate"),
        num_label("lower", "Its published lower 95% limit"),
        num_label("upper", "Its published upper 95% limit"),
        int_label("n", "Its published n (pairs or matched sets)"),
        num_label("se", "Standard error pooled"),
        text("se_from", "published, or from the 95% interval"),
        num_label("weight", "Its share of the random-effects weight (0 to 1)"),
        text("file", "The results file"),
        text("sha256", "The file's SHA-256"),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const POOLED_LEAVE_ONE_OUT: TableDef = TableDef {
    name: "pooled_leave_one_out",
    description: "One group pooled again without one scheme (groups of 3 or more schemes)",
    queries: &[],
    columns: &[
        int_label("group", "Group number"),
        text("left_out", "The scheme left out"),
        int_label("schemes", "Schemes pooled"),
        num_label("estimate", "Pooled estimate without it"),
        num_label("lower", "Lower 95% limit (the headline interval's method)"),
        num_label("upper", "Upper 95% limit"),
        num_label("tau2", "Between-scheme variance τ²"),
        num_label("i2", "I² (0 to 1)"),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const POOLED_SUBGROUPS: TableDef = TableDef {
    name: "pooled_subgroups",
    description: "One group's schemes of one declared characteristic's value, pooled, with the test of difference between the values",
    queries: &[],
    columns: &[
        int_label("group", "Group number"),
        text(
            "characteristic",
            "region, or a characteristic the schemes declare ([scheme.characteristics])",
        ),
        text(
            "value",
            "Its value (not declared: the schemes that do not say)",
        ),
        int_label("schemes", "Schemes with this value"),
        num_label("estimate", "Pooled estimate (one scheme: its own)"),
        num_label(
            "lower",
            "Lower 95% limit (the headline interval's method; one scheme: its own)",
        ),
        num_label("upper", "Upper 95% limit"),
        num_label(
            "q_between",
            "Test of difference between the values: Q between subgroups (the same on each row of the characteristic)",
        ),
        int_label("df_between", "Its degrees of freedom (values − 1)"),
        num_label("p_between", "Its p-value (chi-squared)"),
    ],
    sums: Sums::NONE,
};

/// Every table `sprout pool` writes, in order.
pub const ALL: [&TableDef; 4] = [
    &POOLED_ESTIMATES,
    &POOLED_STUDIES,
    &POOLED_LEAVE_ONE_OUT,
    &POOLED_SUBGROUPS,
];
