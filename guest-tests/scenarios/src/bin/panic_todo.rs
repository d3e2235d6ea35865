// todo!() in main.
fn later() -> u32 {
    todo!()
}

fn main() {
    wasix_panic_exit::install();
    println!("before todo");
    println!("unreachable: {}", later());
}
