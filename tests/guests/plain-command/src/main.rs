//! A WASI command component: valid WebAssembly, wrong world for dive.
fn main() {
    println!("I am not a dive tool");
}
