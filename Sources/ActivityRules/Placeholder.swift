// Filled in by the rules work (issue 3).
enum ActivityRulesPlaceholder {}
