//! The on-disk shape of a rule file, exactly as TOML gives it: serde types that reject unknown
//! keys, with spans kept on every value whose later validation can fail, so that every error
//! names `path:line`. Nothing here is validated beyond types; `rules::load` does that.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// `"default"`: the built-in rules come first, and this file may replace them by name.
    pub extends: Option<Spanned<String>>,
    pub retention: Option<RetentionSection>,
    #[serde(default)]
    pub rule: Vec<Spanned<RuleEntry>>,
    pub allow: Option<AllowSection>,
    #[serde(default)]
    pub example: Vec<Spanned<ExampleEntry>>,
    pub pseudonyms: Option<Spanned<PseudonymsSection>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSection {
    pub default: Option<Spanned<String>>,
    #[serde(default)]
    pub categories: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PseudonymsSection {
    pub rotate: Option<Spanned<String>>,
    pub stamp: Option<Spanned<bool>>,
    pub ip_format: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowSection {
    #[serde(default)]
    pub cidrs: Vec<Spanned<String>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DetectorName {
    Ipv4,
    Ipv6,
    Email,
    Card,
    Phone,
    Iban,
    #[serde(rename = "private-key")]
    PrivateKey,
    #[serde(rename = "url-password")]
    UrlPassword,
    Authorization,
    Cookie,
    Regex,
    Literal,
    Keys,
    Field,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ActionName {
    Truncate,
    Hash,
    Mask,
    Redact,
    Keep,
    Drop,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleEntry {
    pub name: Spanned<String>,
    pub detector: Spanned<DetectorName>,
    pub action: Option<Spanned<ActionName>>,
    pub category: Option<String>,
    pub replacement: Option<String>,
    pub token_prefix: Option<Spanned<String>>,
    pub prefix: Option<Spanned<i64>>,
    pub keep_last: Option<Spanned<i64>>,
    pub pattern: Option<Spanned<String>>,
    pub literals: Option<Spanned<Vec<String>>>,
    pub case_insensitive: Option<Spanned<bool>>,
    pub keys: Option<Spanned<Vec<String>>>,
    pub fields: Option<Spanned<Vec<String>>>,
    pub formats: Option<Spanned<Vec<String>>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IpModeName {
    Truncate,
    Hash,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleEntry {
    pub input: String,
    pub output: Option<String>,
    #[serde(default)]
    pub redacted: Vec<String>,
    #[serde(default)]
    pub kept: Vec<String>,
    pub ip_mode: Option<IpModeName>,
    pub expires_in: Option<Spanned<String>>,
}
