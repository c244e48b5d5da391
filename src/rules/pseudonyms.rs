//! The `[pseudonyms]` section: how keyed pseudonyms are made, beyond the key itself.
//!
//! ```toml
//! [pseudonyms]
//! rotate = "1d"           # a new key per day of event time (see `anonymize::rotation`)
//! stamp = true            # lines carrying pseudonyms get ` key_period=<period start>`
//! ip_format = "token"     # or "ff1", "ipcrypt-pfx" (see `anonymize::preserving`)
//! ```
//!
//! Like retention, these settings are global to a run: several rule files may set them, but they
//! must agree, because two halves of one log pseudonymized under different schemes would
//! neither link nor be told apart.

use super::model::PseudonymsSection as Section;
use super::{RuleError, Source};
use crate::anonymize::preserving::IpFormat;
use crate::anonymize::rotation::{MAX_PERIOD, MIN_PERIOD};
use crate::retention::{format_duration, parse_duration};
use toml::Spanned;

/// The merged settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pseudonyms {
    /// Rotation period in seconds.
    pub rotate: Option<i64>,
    pub stamp: bool,
    pub ip_format: IpFormat,
    /// Set once any file has the section: later files must then agree with it.
    set_by: Option<String>,
}

impl Pseudonyms {
    /// Merges one file's section.
    pub fn merge(&mut self, src: &Source, section: &Spanned<Section>) -> Result<(), RuleError> {
        let s = section.get_ref();
        let rotate = match &s.rotate {
            None => None,
            Some(v) => Some(parse_duration(v.get_ref()).filter(|p| (MIN_PERIOD..=MAX_PERIOD).contains(p)).ok_or_else(
                || {
                    src.error(
                        v.span(),
                        format!(
                            "invalid rotation period '{}' (expected a duration from {} to {}, e.g. 1d or 12h)",
                            v.get_ref(),
                            format_duration(MIN_PERIOD),
                            format_duration(MAX_PERIOD)
                        ),
                    )
                },
            )?),
        };
        let stamp = s.stamp.as_ref().is_some_and(|b| *b.get_ref());
        if let (Some(b), None) = (&s.stamp, rotate) {
            if *b.get_ref() {
                return Err(src.error(b.span(), "stamp = true needs a rotation period (rotate = \"1d\", say)"));
            }
        }
        let ip_format = match &s.ip_format {
            None => IpFormat::Token,
            Some(v) => IpFormat::parse(v.get_ref()).ok_or_else(|| {
                let names: Vec<_> = IpFormat::NAMES.iter().map(|(n, _)| *n).collect();
                src.error(
                    v.span(),
                    format!("unknown ip_format '{}' (expected one of: {})", v.get_ref(), names.join(", ")),
                )
            })?,
        };
        let here = Pseudonyms { rotate, stamp, ip_format, set_by: None };
        if let Some(at) = &self.set_by {
            let mut prev = self.clone();
            prev.set_by = None;
            if prev != here {
                return Err(src.error(
                    section.span(),
                    format!("[pseudonyms] conflicts with the section in {at}: all rule files must agree"),
                ));
            }
            return Ok(());
        }
        *self = Pseudonyms { set_by: Some(src.name.clone()), ..here };
        Ok(())
    }

    /// One line for `rules check`.
    pub fn describe(&self) -> String {
        let rotation = match self.rotate {
            Some(p) => format!("key rotates every {}{}", format_duration(p), if self.stamp { ", stamped" } else { "" }),
            None => "one key (no rotation)".to_owned(),
        };
        format!("pseudonyms: {rotation}; addresses as {}", self.ip_format.name())
    }
}
