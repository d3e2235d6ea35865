//! Adapting a module to the embedded wasmer before it is compiled.
//!
//! wasi-threads modules import their shared memory under any name they like (the proposal's
//! conformance tests use names such as `foo.bar`); wasmer-wasix provides the memory only as
//! `env.memory` and refuses any other name. A module that imports exactly one memory gets
//! that import renamed to `env.memory`. Only the import section is rewritten: every other
//! byte, and so every index and offset in the module, stays as it was.

use std::ops::Range;

/// The module with its one memory import renamed to `env.memory`, or `None` when nothing
/// needs renaming (or the module is malformed: the compiler then says why).
pub fn rename_memory_import(bytes: &[u8]) -> Option<Vec<u8>> {
    let section = import_section(bytes)?;
    let content = &bytes[section.content.clone()];
    let reader = wasmparser::ImportSectionReader::new(wasmparser::BinaryReader::new(
        content,
        section.content.start as u64,
    ))
    .ok()?;
    let count = reader.count();
    let mut groups = Vec::new();
    for item in reader.into_iter_with_offsets() {
        groups.push(item.ok()?);
    }
    let memories: Vec<usize> = groups
        .iter()
        .enumerate()
        .filter(|(_, (_, group))| match group {
            wasmparser::Imports::Single(_, import) => {
                matches!(import.ty, wasmparser::TypeRef::Memory(_))
            }
            // Compact groups share one module name: a memory in one is left alone.
            _ => false,
        })
        .map(|(i, _)| i)
        .collect();
    let [memory] = memories[..] else { return None };
    let wasmparser::Imports::Single(_, import) = &groups[memory].1 else { return None };
    if (import.module, import.name) == ("env", "memory") {
        return None;
    }

    // Each group's raw bytes run from its offset to the next group's (or the section's end).
    let base = section.content.start as u64;
    let mut body = Vec::with_capacity(content.len() + 16);
    leb128(&mut body, u64::from(count));
    for (i, (offset, _)) in groups.iter().enumerate() {
        let start = usize::try_from(offset - base).ok()?;
        let end = match groups.get(i + 1) {
            Some((next, _)) => usize::try_from(next - base).ok()?,
            None => content.len(),
        };
        let raw = content.get(start..end)?;
        if i == memory {
            let type_bytes = skip_names(raw)?;
            name(&mut body, "env");
            name(&mut body, "memory");
            body.extend_from_slice(type_bytes);
        } else {
            body.extend_from_slice(raw);
        }
    }
    let mut out = Vec::with_capacity(bytes.len() + 16);
    out.extend_from_slice(&bytes[..section.header_start]);
    out.push(2);
    leb128(&mut out, body.len() as u64);
    out.extend_from_slice(&body);
    out.extend_from_slice(&bytes[section.content.end..]);
    Some(out)
}

struct Section {
    header_start: usize,
    content: Range<usize>,
}

/// Where the import section (id 2) is: walked by hand, because the rewrite needs the byte
/// position of its header, which wasmparser's payloads do not give.
fn import_section(bytes: &[u8]) -> Option<Section> {
    if bytes.get(..8)? != b"\0asm\x01\0\0\0" {
        return None;
    }
    let mut pos = 8;
    while pos < bytes.len() {
        let header_start = pos;
        let id = bytes[pos];
        pos += 1;
        let (size, len) = read_leb(&bytes[pos..])?;
        pos += len;
        let end = pos.checked_add(usize::try_from(size).ok()?)?;
        if end > bytes.len() {
            return None;
        }
        if id == 2 {
            return Some(Section { header_start, content: pos..end });
        }
        pos = end;
    }
    None
}

/// The bytes after an import's module and field names: its type.
fn skip_names(raw: &[u8]) -> Option<&[u8]> {
    let mut rest = raw;
    for _ in 0..2 {
        let (len, n) = read_leb(rest)?;
        rest = rest.get(n + usize::try_from(len).ok()?..)?;
    }
    Some(rest)
}

fn read_leb(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().take(10).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn leb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn name(out: &mut Vec<u8>, text: &str) {
    leb128(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imports(bytes: &[u8]) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            if let wasmparser::Payload::ImportSection(reader) = payload.unwrap() {
                for group in reader {
                    if let wasmparser::Imports::Single(_, i) = group.unwrap() {
                        found.push((i.module.to_string(), i.name.to_string()));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn a_privately_named_shared_memory_becomes_env_memory() {
        let module = wat::parse_str(
            r#"(module
                 (import "wasi" "thread-spawn" (func (param i32) (result i32)))
                 (import "foo" "bar" (memory 1 1 shared))
                 (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
                 (func (export "_start") (i32.atomic.store (i32.const 0) (i32.const 1))))"#,
        )
        .unwrap();
        let renamed = rename_memory_import(&module).unwrap();
        wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
            .validate_all(&renamed)
            .unwrap();
        assert_eq!(
            imports(&renamed),
            [
                ("wasi".into(), "thread-spawn".into()),
                ("env".into(), "memory".into()),
                ("wasi_snapshot_preview1".into(), "proc_exit".into())
            ]
        );
    }

    #[test]
    fn env_memory_and_modules_without_a_memory_import_are_left_alone() {
        for text in [
            r#"(module (import "env" "memory" (memory 1)))"#,
            r#"(module (memory 1))"#,
            r#"(module (import "a" "m" (memory 1)) (import "b" "m" (memory 1)))"#,
        ] {
            let module = wat::parse_str(text).unwrap();
            assert!(rename_memory_import(&module).is_none(), "{text}");
        }
        assert!(rename_memory_import(b"\0asm\x01\0\0\0\x02\xff").is_none());
    }
}
