//! Starting the HTTP service.
pub async fn serve(_database: &str, _demo: bool, _bind: &str) -> anyhow::Result<()> {
    anyhow::bail!("serve is not built yet")
}
