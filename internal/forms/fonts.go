package forms

import (
	_ "embed"
)

// Noto Serif, from Debian's fonts-noto-core; see fonts/README.md and
// fonts/LICENSE-OFL.txt (SIL Open Font License 1.1).
var (
	//go:embed fonts/NotoSerif-Regular.ttf
	fontRegular []byte
	//go:embed fonts/NotoSerif-Bold.ttf
	fontBold []byte
	//go:embed fonts/NotoSerif-Italic.ttf
	fontItalic []byte
)

// fontFamily is the name the fonts are registered under in each document.
const fontFamily = "NotoSerif"

// FontRegular and FontBold return the embedded Noto Serif faces, for other
// documents the platform prints (receipts) to use the same type.
func FontRegular() []byte { return fontRegular }

// FontBold returns the bold face (see FontRegular).
func FontBold() []byte { return fontBold }
