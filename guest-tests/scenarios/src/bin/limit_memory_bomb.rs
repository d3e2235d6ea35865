// Allocates 64 MiB blocks and keeps them, up to 2 GiB. Under the harness's memory cap
// (default 1 GiB, the target's own maximum) allocation fails first: std prints
// "memory allocation of N bytes failed" and aborts, which the runtime shim makes 134.
fn main() {
    wasix_panic_exit::install();
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for i in 0..32 {
        let mut block = Vec::with_capacity(64 << 20);
        block.push(i as u8);
        blocks.push(block);
    }
    println!("allocated {} MiB", blocks.len() * 64);
}
