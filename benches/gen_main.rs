//! `bench-gen OUTDIR [SIZE_MB...]`: writes the benches' generated inputs as files
//! (`bigN.kml`, `bigN.gpx`, `bigN.geojson`), for the side-by-side comparison with other
//! tools (`benches/compare.sh`).

#[path = "gen.rs"]
mod gen;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: bench-gen OUTDIR [SIZE_MB...]");
        std::process::exit(2);
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir)?;
    let sizes: Vec<usize> = args.filter_map(|a| a.parse().ok()).collect();
    for mb in if sizes.is_empty() { vec![15] } else { sizes } {
        let target = mb << 20;
        let (kml, k) = gen::kml(target, 7);
        std::fs::write(dir.join(format!("big{mb}.kml")), kml)?;
        let (gpx, g) = gen::gpx(target, 11);
        std::fs::write(dir.join(format!("big{mb}.gpx")), gpx)?;
        // About 1,400 MapHub features per megabyte.
        let geojson = gen::geojson(mb * 1_400, 1);
        std::fs::write(dir.join(format!("big{mb}.geojson")), geojson)?;
        println!(
            "big{mb}: kml {} placemarks in {} folders; gpx {} track points; geojson {} features",
            k.placemarks,
            k.folders,
            g.track_points,
            mb * 1_400
        );
    }
    Ok(())
}
