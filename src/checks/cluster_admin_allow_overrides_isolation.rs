pub const RULE: super::Rule = super::cluster_shadowed_rule::RULE; pub fn check(_: &super::Context<'_>) -> Vec<crate::report::Finding> { vec![] }
