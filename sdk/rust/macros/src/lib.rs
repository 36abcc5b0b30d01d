//! `#[esgx::main]`: put on `fn main`, it makes the first statement of the body
//! `::esgx::set_panic_hook();`, so a panic becomes the function's output (see
//! `esgx::set_panic_hook`). Written against `proc_macro` alone (no syn/quote): the
//! body is the last brace-delimited group of the item, and nothing else is changed.
use proc_macro::{Delimiter, Group, TokenStream, TokenTree};

/// Marks the guest's entry point; `#[sgxkit::main]` ports as `#[esgx::main]`.
#[proc_macro_attribute]
pub fn main(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return error("#[esgx::main] takes no arguments");
    }
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let body_at = tokens.iter().rposition(|t| match t {
        TokenTree::Group(g) => g.delimiter() == Delimiter::Brace,
        _ => false,
    });
    let at = match body_at {
        Some(at) => at,
        None => return error("#[esgx::main] goes on a function with a body"),
    };
    let body = match &tokens[at] {
        TokenTree::Group(g) => g.clone(),
        _ => unreachable!(),
    };
    let mut inner: TokenStream = "::esgx::set_panic_hook();".parse().unwrap();
    inner.extend(body.stream());
    let mut group = Group::new(Delimiter::Brace, inner);
    group.set_span(body.span());
    tokens[at] = TokenTree::Group(group);
    tokens.into_iter().collect()
}

fn error(message: &str) -> TokenStream {
    format!("compile_error!({:?});", message).parse().unwrap()
}
