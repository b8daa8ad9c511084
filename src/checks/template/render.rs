//! R09: rendering a template with ramhorns on JSON sample data.

use std::collections::{BTreeMap, HashSet};

use ramhorns::encoding::Encoder;
use ramhorns::traits::ContentSequence;
use ramhorns::{Content, Section, Template};
use serde_json::Value;

/// JSON sample data as ramhorns content: objects are maps, arrays are lists (sections repeat),
/// `false`, `null`, `""` and `[]` are falsy.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Null,
    Bool(bool),
    Text(String),
    List(Vec<Data>),
    Map(BTreeMap<String, Data>),
}

impl From<&Value> for Data {
    fn from(v: &Value) -> Self {
        match v {
            Value::Null => Data::Null,
            Value::Bool(b) => Data::Bool(*b),
            Value::Number(n) => Data::Text(n.to_string()),
            Value::String(s) => Data::Text(s.clone()),
            Value::Array(a) => Data::List(a.iter().map(Data::from).collect()),
            Value::Object(o) => Data::Map(o.iter().map(|(k, v)| (k.clone(), Data::from(v))).collect()),
        }
    }
}

impl Content for Data {
    fn is_truthy(&self) -> bool {
        match self {
            Data::Null => false,
            Data::Bool(b) => *b,
            Data::Text(s) => !s.is_empty(),
            Data::List(l) => !l.is_empty(),
            Data::Map(_) => true,
        }
    }

    fn render_escaped<E: Encoder>(&self, encoder: &mut E) -> Result<(), E::Error> {
        match self {
            Data::Bool(b) => b.render_escaped(encoder),
            Data::Text(s) => s.render_escaped(encoder),
            _ => Ok(()),
        }
    }

    fn render_unescaped<E: Encoder>(&self, encoder: &mut E) -> Result<(), E::Error> {
        match self {
            Data::Bool(b) => b.render_unescaped(encoder),
            Data::Text(s) => s.render_unescaped(encoder),
            _ => Ok(()),
        }
    }

    fn render_section<C, E>(&self, section: Section<C>, encoder: &mut E) -> Result<(), E::Error>
    where
        C: ContentSequence,
        E: Encoder,
    {
        match self {
            Data::List(l) => l.render_section(section, encoder),
            // An object is a section's new context, like ramhorns' own maps.
            Data::Map(m) => section.with(m).render(encoder),
            other if other.is_truthy() => section.render(encoder),
            _ => Ok(()),
        }
    }

    fn render_field_escaped<E: Encoder>(&self, hash: u64, name: &str, encoder: &mut E) -> Result<bool, E::Error> {
        match self {
            Data::Map(m) => m.render_field_escaped(hash, name, encoder),
            _ => Ok(false),
        }
    }

    fn render_field_unescaped<E: Encoder>(&self, hash: u64, name: &str, encoder: &mut E) -> Result<bool, E::Error> {
        match self {
            Data::Map(m) => m.render_field_unescaped(hash, name, encoder),
            _ => Ok(false),
        }
    }

    fn render_field_section<C, E>(
        &self,
        hash: u64,
        name: &str,
        section: Section<C>,
        encoder: &mut E,
    ) -> Result<bool, E::Error>
    where
        C: ContentSequence,
        E: Encoder,
    {
        match self {
            Data::Map(m) => m.render_field_section(hash, name, section, encoder),
            _ => Ok(false),
        }
    }

    fn render_field_inverse<C, E>(
        &self,
        hash: u64,
        name: &str,
        section: Section<C>,
        encoder: &mut E,
    ) -> Result<bool, E::Error>
    where
        C: ContentSequence,
        E: Encoder,
    {
        match self {
            Data::Map(m) => m.render_field_inverse(hash, name, section, encoder),
            _ => Ok(false),
        }
    }
}

/// Why a template does not render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

/// Renders `source` with `data`.
pub fn render(source: &str, data: &Value) -> Result<String, RenderError> {
    let template = Template::new(source).map_err(|e| RenderError(e.to_string()))?;
    Ok(template.render(&Data::from(data)))
}

/// `data` with every string and number replaced by `probe`, keeping its shape, so that every
/// placeholder of a render shows whether it escapes. Values under a key in `except` are kept.
pub fn probe_data_except(data: &Value, probe: &str, except: &HashSet<String>) -> Value {
    match data {
        Value::String(_) | Value::Number(_) => Value::String(probe.to_owned()),
        Value::Array(a) => Value::Array(a.iter().map(|v| probe_data_except(v, probe, except)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let v = if except.contains(k) { v.clone() } else { probe_data_except(v, probe, except) };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}
