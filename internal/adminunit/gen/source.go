package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Source file names, relative to -src.
const (
	fileCurrent      = "current/vn_units_2026-07-25.json"
	fileCurrentLic   = "current/LICENSE"
	filePre          = "pre-2025/vn_units_2025-03-01_with_districts.json"
	filePreLic       = "pre-2025/LICENSE"
	fileSplits       = "mapping-2025/splits.json"
	fileMerges       = "mapping-2025/merges.json"
	fileMappingLic   = "mapping-2025/LICENSE"
	currentDataAsOf  = "2026-07-25"
	threeLevelAsOf   = "2025-03-01"
	threeLevelSource = "thanglequoc/vietnamese-provinces-database, tag v2.4.1"
	currentSource    = "thanglequoc/vietnamese-provinces-database (data to 25 July 2026)"
	mappingSource    = "dvhcvn (20250701 release)"
)

// current/vn_units_*.json: provinces with their wards (communes, wards and special zones).
type curProvince struct {
	Type                        string
	Code                        string
	Name                        string
	NameEn                      string
	FullName                    string
	FullNameEn                  string
	AdministrativeUnitShortName string
	Wards                       []curWard
}

type curWard struct {
	Type                        string
	Code                        string
	Name                        string
	NameEn                      string
	FullName                    string
	FullNameEn                  string
	ProvinceCode                string
	AdministrativeUnitShortName string
}

// pre-2025/vn_units_*_with_districts.json: provinces → districts → communes.
type preProvince struct {
	Code       string
	Name       string
	NameEn     string
	FullName   string
	FullNameEn string
	District   []preDistrict
}

type preDistrict struct {
	Code         string
	Name         string
	NameEn       string
	FullName     string
	FullNameEn   string
	ProvinceCode string
	Ward         []preWard // null for the island districts that had no communes
}

type preWard struct {
	Code         string
	Name         string
	NameEn       string
	FullName     string
	FullNameEn   string
	DistrictCode string
}

// mapping-2025/splits.json: old → new.
type splitsFile struct {
	Data []struct {
		Level1ID string      `json:"level1_id"`
		Name     string      `json:"name"`
		Splits   []splitTo   `json:"splits"`
		Level2s  []splitFrom `json:"level2s"` // old districts without communes
		Level3s  []splitFrom `json:"level3s"` // old communes
	} `json:"data"`
}

type splitFrom struct {
	Level2ID string    `json:"level2_id"`
	Level3ID string    `json:"level3_id"`
	Name     string    `json:"name"`
	Splits   []splitTo `json:"splits"`
}

type splitTo struct {
	NewID string `json:"new_id"`
	Name  string `json:"name"`
}

// mapping-2025/merges.json: new → old with full/partial.
type mergesFile struct {
	Data []struct {
		Level1ID string      `json:"level1_id"`
		Name     string      `json:"name"`
		Merges   []mergeFrom `json:"merges"`
		Level2s  []struct {
			Level2ID string      `json:"level2_id"`
			Name     string      `json:"name"`
			Merges   []mergeFrom `json:"merges"`
		} `json:"level2s"`
	} `json:"data"`
}

type mergeFrom struct {
	OldID string `json:"old_id"`
	Name  string `json:"name"`
	Type  string `json:"type"`
}

type sources struct {
	current    []curProvince
	pre        []preProvince
	splits     splitsFile
	merges     mergesFile
	licThang   []byte // thanglequoc MIT notice
	licDvhcvn  []byte // dvhcvn MIT notice
	currentLic []byte
	preLic     []byte
}

func readSources(dir string) (*sources, error) {
	var s sources
	for _, f := range []struct {
		name string
		dst  any
	}{
		{fileCurrent, &s.current},
		{filePre, &s.pre},
		{fileSplits, &s.splits},
		{fileMerges, &s.merges},
	} {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.name)))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, f.dst); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	var err error
	if s.currentLic, err = os.ReadFile(filepath.Join(dir, filepath.FromSlash(fileCurrentLic))); err != nil {
		return nil, err
	}
	if s.preLic, err = os.ReadFile(filepath.Join(dir, filepath.FromSlash(filePreLic))); err != nil {
		return nil, err
	}
	if s.licDvhcvn, err = os.ReadFile(filepath.Join(dir, filepath.FromSlash(fileMappingLic))); err != nil {
		return nil, err
	}
	if !bytes.Equal(s.currentLic, s.preLic) {
		return nil, fmt.Errorf("%s and %s differ: both are expected to be the thanglequoc MIT notice", fileCurrentLic, filePreLic)
	}
	s.licThang = s.currentLic
	for _, want := range []struct {
		name, text string
		b          []byte
	}{
		{fileCurrentLic, "Copyright (c) 2021 Thang Le Quoc", s.licThang},
		{fileMappingLic, "Copyright (c) 2025 dvhcvn", s.licDvhcvn},
	} {
		if !bytes.Contains(want.b, []byte(want.text)) || !bytes.Contains(want.b, []byte("MIT License")) {
			return nil, fmt.Errorf("%s: expected an MIT notice with %q", want.name, want.text)
		}
	}
	return &s, nil
}
