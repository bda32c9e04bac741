// Command gen turns the upstream administrative-unit data into the compact files that package
// adminunit embeds.
//
// Usage (from the repository root):
//
//	go run ./internal/adminunit/gen -src <admin-units-dir> -out internal/adminunit/data
//
// <admin-units-dir> holds three folders:
//
//	current/vn_units_2026-07-25.json                   thanglequoc/vietnamese-provinces-database (two levels)
//	current/LICENSE
//	pre-2025/vn_units_2025-03-01_with_districts.json   thanglequoc/vietnamese-provinces-database v2.4.1 (three levels)
//	pre-2025/LICENSE
//	mapping-2025/splits.json, merges.json, LICENSE     dvhcvn/20250701
//
// It writes units.tsv.gz, successions.tsv.gz, LICENSE.thanglequoc, LICENSE.dvhcvn and README.md.
//
// The generator is strict: every inconsistency it knows how to handle is handled explicitly and
// recorded in the output (a status and a note on the mapping row, and a list in README.md); any
// other inconsistency stops it with an error, so that a person looks at the new data before it
// reaches the product.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	src := flag.String("src", "", "folder holding current/, pre-2025/ and mapping-2025/")
	out := flag.String("out", "internal/adminunit/data", "folder to write the compact data files to")
	flag.Parse()
	if *src == "" {
		fmt.Fprintln(os.Stderr, "gen: -src is required")
		flag.Usage()
		os.Exit(2)
	}
	in, err := readSources(*src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	ds, err := build(in, knownFixes)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := write(*out, ds, in); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("units: %d (edition %s: %d, edition %s: %d); succession rows: %d\n",
		len(ds.units), editionCurrent, ds.count(editionCurrent), editionThreeLevel, ds.count(editionThreeLevel), len(ds.rows))
	for _, is := range ds.issues {
		fmt.Println("issue:", is)
	}
}
