// A bad numeric argument: parse().expect() panics in main.
fn main() {
    wasix_panic_exit::install();
    let n: u32 = std::env::args()
        .nth(1)
        .expect("an argument")
        .parse()
        .expect("the argument must be a number");
    println!("unreachable: {n}");
}
