//! `#[esgx::main]` (sgxkit's `#[sgxkit::main]`): put on `fn main`, it renames the
//! function `_main` and adds
//!
//! ```ignore
//! pub fn main() { /* install the panic hook */ _main(); }
//! ```
//!
//! or, when the return type names `Result`,
//! `match _main() { Ok(v) => v, Err(e) => panic!("Error: {e}") }`, as sgxkit's macro
//! does. The hook is reached through the symbol `__esgx_set_default_hook` that the esgx
//! crate exports, not through a path, so the attribute works under whatever name the
//! guest gives the crate (`sgxkit = { package = "esgx", ... }`). Written against
//! `proc_macro` alone (no syn/quote).
use proc_macro::{Delimiter, Ident, TokenStream, TokenTree};

/// Marks the guest's entry point; see the crate documentation.
#[proc_macro_attribute]
pub fn main(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return error("#[main] takes no arguments");
    }
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let fn_at = tokens.iter().position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "fn"));
    let name_at = match fn_at {
        Some(at) if matches!(tokens.get(at + 1), Some(TokenTree::Ident(_))) => at + 1,
        _ => return error("#[main] goes on a function"),
    };
    if tokens[..name_at].iter().any(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "async")) {
        return error("cannot be async");
    }
    let body_at = match tokens.iter().rposition(|t| match t {
        TokenTree::Group(g) => g.delimiter() == Delimiter::Brace,
        _ => false,
    }) {
        Some(at) if at > name_at => at,
        _ => return error("#[main] goes on a function with a body"),
    };
    let name = tokens[name_at].to_string();
    let inner = format!("_{}", name);
    tokens[name_at] = TokenTree::Ident(Ident::new(&inner, tokens[name_at].span()));
    // the return type: the tokens after `->`, up to the body (or a where clause)
    let returns_result = tokens[name_at + 1..body_at]
        .iter()
        .any(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "Result"));
    let call = if returns_result {
        format!("match {}() {{ Ok(v) => v, Err(e) => panic!(\"Error: {{}}\", e), }}", inner)
    } else {
        format!("{}();", inner)
    };
    let wrapper = format!(
        "pub fn {name}() {{ \
             extern \"Rust\" {{ fn __esgx_set_default_hook(); }} \
             unsafe {{ __esgx_set_default_hook() }} \
             {call} \
         }}",
        name = name,
        call = call
    );
    let mut out: TokenStream = tokens.into_iter().collect();
    out.extend(wrapper.parse::<TokenStream>().unwrap());
    out
}

fn error(message: &str) -> TokenStream {
    format!("compile_error!({:?});", message).parse().unwrap()
}
