// SPDX-License-Identifier: MIT

//go:build !race

package tapkit

const raceEnabled = false
