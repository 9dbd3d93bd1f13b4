pub fn main(_: &[String]) -> i32 { 2 }
pub fn generate_rsa(_bits: usize) -> Result<(libp2p::identity::Keypair, Vec<u8>), String> { Err("todo".into()) }
