package adminunit_test

import (
	"fmt"
	"log"
	"slices"
	"strings"

	"github.com/congso/congso/internal/adminunit"
)

func Example() {
	reg, err := adminunit.Load()
	if err != nil {
		log.Fatal(err)
	}
	before, _ := adminunit.ParseDate("2024-06-01")
	after, _ := adminunit.ParseDate("2025-08-01")

	hg, _ := reg.UnitOn("93", before)
	districts, _ := reg.ChildrenOn("93", before)
	fmt.Println(hg.ID(), hg.FullName, len(districts), "districts")

	_, err = reg.ChildrenOn("93", after)
	fmt.Println(err)

	succ, _ := reg.Successors(hg.ID())
	ct, _ := reg.Unit(succ[0].New)
	fmt.Println(hg.ID(), "→", ct.ID(), ct.FullName)
	// Output:
	// 93@2025-03-01 Tỉnh Hậu Giang 8 districts
	// adminunit: not found: no unit with code 93 on 2025-08-01 (edition 2025-07-01); 93@2025-03-01 (Tỉnh Hậu Giang) ended on 2025-06-30
	// 93@2025-03-01 → 92@2025-07-01 Thành phố Cần Thơ
}

func ExampleRegistry_RollUp() {
	reg, err := adminunit.Load()
	if err != nil {
		log.Fatal(err)
	}
	dossiers := map[adminunit.ID]int64{}
	for k, v := range map[string]int64{
		"31318@2025-03-01": 12, // Phường I, Hậu Giang (old)
		"31321@2025-07-01": 30, // Phường Vị Thanh, Cần Thơ (new)
		"930@2025-03-01":   5,  // Thành phố Vị Thanh, a district of Hậu Giang (old)
	} {
		id, _ := adminunit.ParseID(k)
		dossiers[id] = v
	}
	for _, level := range []adminunit.Level{adminunit.LevelProvince, adminunit.LevelCommune} {
		res, _ := reg.RollUp(dossiers, level)
		fmt.Printf("%s: %s; unattributed: [%s]\n", level, format(res.Totals), format(res.Unattributed))
	}
	// Output:
	// province: 92@2025-07-01=47; unattributed: []
	// commune: 31321@2025-07-01=42; unattributed: [930@2025-03-01=5]
}

func format(m map[adminunit.ID]int64) string {
	var parts []string
	for id, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", id, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

func ExampleRegistry_Search() {
	reg, err := adminunit.Load()
	if err != nil {
		log.Fatal(err)
	}
	on, _ := adminunit.ParseDate("2025-08-01")
	for _, u := range reg.Search("ha tinh", adminunit.SearchFilter{On: on}) {
		fmt.Println(u.ID(), u.FullName)
	}
	// Output:
	// 42@2025-07-01 Tỉnh Hà Tĩnh
}
