//! R07: an email template parsed as HTML by html5ever (the WHATWG parser browsers use), with
//! its parse errors and the tags written in the source, each with its line.

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};

use html5ever::interface::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use html5ever::tree_builder::{TreeBuilder, TreeBuilderOpts};
use html5ever::{Attribute, QualName, TokenizerResult, local_name, ns};

/// A start tag as written in the source (not one the parser implied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartTag {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub line: usize,
}

/// What parsing one document found.
#[derive(Debug, Clone, Default)]
pub struct HtmlDocument {
    /// Parse errors, each with the line the parser was on.
    pub errors: Vec<(usize, String)>,
    /// The DOCTYPE's name and line, if the source has one.
    pub doctype: Option<(String, usize)>,
    pub start_tags: Vec<StartTag>,
    /// The parser fell back to quirks mode (no or an old DOCTYPE).
    pub quirks: bool,
}

impl HtmlDocument {
    pub fn parse(text: &str) -> HtmlDocument {
        let recorder = Recorder {
            inner: TreeBuilder::new(
                Names::default(),
                TreeBuilderOpts { exact_errors: true, scripting_enabled: false, ..Default::default() },
            ),
            doctype: RefCell::new(None),
            tags: RefCell::new(Vec::new()),
        };
        let tokenizer = Tokenizer::new(recorder, TokenizerOpts { exact_errors: true, ..Default::default() });
        let input = BufferQueue::default();
        input.push_back(StrTendril::from_slice(text));
        // The text is already decoded, so a <meta charset> (which stops the feed) changes nothing.
        while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
        tokenizer.end();
        let recorder = tokenizer.sink;
        let names = recorder.inner.sink;
        HtmlDocument {
            errors: names.errors.into_inner(),
            doctype: recorder.doctype.into_inner(),
            start_tags: recorder.tags.into_inner(),
            quirks: names.quirks.get(),
        }
    }

    /// The first start tag named `name`.
    pub fn find(&self, name: &str) -> Option<&StartTag> {
        self.start_tags.iter().find(|t| t.name == name)
    }
}

/// Records the doctype and the start tags on their way to the tree builder.
struct Recorder {
    inner: TreeBuilder<usize, Names>,
    doctype: RefCell<Option<(String, usize)>>,
    tags: RefCell<Vec<StartTag>>,
}

impl TokenSink for Recorder {
    type Handle = usize;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<usize> {
        let line = usize::try_from(line_number).unwrap_or(usize::MAX);
        match &token {
            Token::DoctypeToken(d) => {
                let name = d.name.as_ref().map(|n| n.to_string()).unwrap_or_default();
                self.doctype.borrow_mut().get_or_insert((name, line));
            }
            Token::TagToken(t) if t.kind == TagKind::StartTag => self.tags.borrow_mut().push(StartTag {
                name: t.name.to_string(),
                attributes: t.attrs.iter().map(|a| (a.name.local.to_string(), a.value.to_string())).collect(),
                line,
            }),
            _ => {}
        }
        self.inner.process_token(token, line_number)
    }

    fn end(&self) {
        self.inner.end()
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.inner.adjusted_current_node_present_but_not_in_html_namespace()
    }
}

/// The smallest tree sink html5ever's tree builder works with: it keeps its own stack of open
/// elements and only asks the sink for element names, so no tree is built.
struct Names {
    names: RefCell<Vec<QualName>>,
    errors: RefCell<Vec<(usize, String)>>,
    line: Cell<usize>,
    quirks: Cell<bool>,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            // Handle 0 is the document.
            names: RefCell::new(vec![QualName::new(None, ns!(), local_name!(""))]),
            errors: RefCell::new(Vec::new()),
            line: Cell::new(1),
            quirks: Cell::new(false),
        }
    }
}

impl Names {
    fn node(&self, name: QualName) -> usize {
        let mut names = self.names.borrow_mut();
        names.push(name);
        names.len() - 1
    }
}

impl TreeSink for Names {
    type Handle = usize;
    type Output = Self;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, msg: Cow<'static, str>) {
        self.errors.borrow_mut().push((self.line.get(), readable(&msg)));
    }

    fn set_current_line(&self, line_number: u64) {
        self.line.set(usize::try_from(line_number).unwrap_or(usize::MAX));
    }

    fn get_document(&self) -> usize {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a usize) -> Ref<'a, QualName> {
        Ref::map(self.names.borrow(), |names| &names[*target])
    }

    fn create_element(&self, name: QualName, _: Vec<Attribute>, _: ElementFlags) -> usize {
        self.node(name)
    }

    fn create_comment(&self, _: StrTendril) -> usize {
        self.node(QualName::new(None, ns!(), local_name!("")))
    }

    fn create_pi(&self, _: StrTendril, _: StrTendril) -> usize {
        self.node(QualName::new(None, ns!(), local_name!("")))
    }

    fn append(&self, _: &usize, _: NodeOrText<usize>) {}

    fn append_based_on_parent_node(&self, _: &usize, _: &usize, _: NodeOrText<usize>) {}

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, _: &usize) -> usize {
        self.node(QualName::new(None, ns!(), local_name!("")))
    }

    fn same_node(&self, x: &usize, y: &usize) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.quirks.set(mode == QuirksMode::Quirks);
    }

    fn append_before_sibling(&self, _: &usize, _: NodeOrText<usize>) {}

    fn add_attrs_if_missing(&self, _: &usize, _: Vec<Attribute>) {}

    fn remove_from_parent(&self, _: &usize) {}

    fn reparent_children(&self, _: &usize, _: &usize) {}
}

/// html5ever's exact messages print tokens with `Debug`; shows a tag token as `<name>` instead.
fn readable(message: &str) -> String {
    let Some(start) = message.find("Tag { kind: ") else { return message.to_owned() };
    // The token's Debug text ends where its outermost brace closes.
    let mut depth = 0usize;
    let mut end = None;
    for (i, c) in message[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    end = Some(start + i + 1);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(end) = end else { return message.to_owned() };
    let token = &message[start..end];
    let name = token
        .split_once("name: Atom(")
        .map(|(_, rest)| rest.trim_start_matches(['\\', '\'']))
        .and_then(|rest| rest.split(['\\', '\'']).next())
        .unwrap_or("?");
    let tag = if token.contains("kind: EndTag") { format!("</{name}>") } else { format!("<{name}>") };
    let (before, after) = (&message[..start], &message[end..]);
    let (before, after) = match (before.strip_suffix("Tag("), after.strip_prefix(')')) {
        (Some(b), Some(a)) => (b, a),
        _ => (before, after),
    };
    format!("{before}{tag}{after}")
}
