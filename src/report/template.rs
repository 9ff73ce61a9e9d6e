//! The template environment shared by the HTML and Markdown reports.
//!
//! Templates named `*.html` auto-escape HTML; templates named `*.md` escape Markdown: every
//! string value is passed through [`escape_md`], so a customer-written `|`, backtick, `<script>`
//! or `[link](...)` prints as text and cannot break a table or inject markup into a job summary
//! or PR comment. Only values marked safe are written as they are.

use minijinja::{AutoEscape, Environment, Value};

use crate::error::{Error, Result};

/// Escapes Markdown (GitHub-flavoured) in an inline text: backslash before every character
/// that can start markup inside a line, and line breaks flattened to spaces.
pub fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '$' | '&' | '@' | '#'
            | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// `s` with its first letter upper-cased: `Reviews scored 1-2`.
pub fn sentence(s: String) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => s,
    }
}

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".md") {
            AutoEscape::Custom("markdown".into())
        } else if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(|out, state, value| {
        let markdown =
            matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "markdown");
        if !markdown {
            return minijinja::escape_formatter(out, state, value);
        }
        let text = match value.as_str() {
            Some(s) if value.is_safe() => s.to_string(),
            Some(s) => escape_md(s),
            None if value.is_none() || value.is_undefined() => String::new(),
            None => escape_md(&value.to_string()),
        };
        out.write_str(&text)
            .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
    });
    env.add_filter("sentence", sentence);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env
}

/// Renders the template `source` (named `name`, whose extension picks the escaping) with `ctx`.
///
/// Errors: a template error (a bug), reported as an output error for `name`.
pub fn render(name: &str, source: &str, ctx: Value) -> Result<Vec<u8>> {
    let fail = |e: minijinja::Error| Error::Output {
        path: name.into(),
        message: format!("template: {e:#}"),
    };
    let mut env = env();
    env.add_template_owned(name.to_string(), source.to_string())
        .map_err(fail)?;
    let tmpl = env.get_template(name).map_err(fail)?;
    let mut text = tmpl.render(ctx).map_err(fail)?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_escaped() {
        assert_eq!(escape_md("a|b `c` <script>"), "a\\|b \\`c\\` \\<script\\>");
        assert_eq!(escape_md("[x](http://e)\nnext"), "\\[x\\](http://e) next");
    }

    #[test]
    fn templates_escape_by_extension() {
        let ctx = minijinja::context! { s => "<b>|`x`" };
        let md = render("t.md", "{{ s }}", ctx.clone()).unwrap();
        assert_eq!(String::from_utf8(md).unwrap(), "\\<b\\>\\|\\`x\\`\n");
        let html = render("t.html", "{{ s }}", ctx).unwrap();
        assert_eq!(String::from_utf8(html).unwrap(), "&lt;b&gt;|`x`\n");
    }
}
