// stdin with content then end of file: read_to_string and lines, then a panic on bad input.
use std::io::Read;

fn main() {
    wasix_panic_exit::install();
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    let numbers: Vec<i64> = input
        .lines()
        .map(|l| l.trim().parse().unwrap_or_else(|_| panic!("bad input line {l:?}")))
        .collect();
    println!("unreachable: {numbers:?}");
}
