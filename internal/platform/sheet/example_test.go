package sheet_test

import (
	"fmt"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
)

func ExampleRead() {
	schema := sheet.MustSchema(
		sheet.Column{Key: "plate", Header: "车牌号码", Aliases: []string{"车牌号", "Plate"}, Required: true},
		sheet.Column{Key: "valid_until", Header: "有效期至", Kind: sheet.Date},
	)
	file := "车牌号,有效期至,颜色\n川A12345,2027/3/31,黄\n\n川B54321,明天,蓝\n"

	rep := sheet.NewReport(schema)
	info, err := sheet.Read(strings.NewReader(file), sheet.Detect, schema, func(row sheet.Row) error {
		if _, err := row.Date("valid_until"); err != nil {
			rep.Record(row, apperr.Field("valid_until", "不是有效日期", row.Get("valid_until")))
			return nil
		}
		rep.OK(row)
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep.Warn(info.Warnings...)
	fmt.Println(rep.Total, rep.Imported, rep.Failed)
	fmt.Println(rep.Errors[0].Row, rep.Errors[0].Reason())
	fmt.Println(rep.Warnings[0])
	// The error report a clerk downloads, fixes and imports again (shown
	// without its BOM and with \n line ends):
	var report strings.Builder
	_ = rep.WriteErrors(&report, sheet.CSV)
	fmt.Print(strings.NewReplacer("\ufeff", "", "\r\n", "\n").Replace(report.String()))
	// Output:
	// 2 1 1
	// 4 有效期至：不是有效日期
	// 已忽略无法识别的列：颜色 (unknown columns ignored)
	// 车牌号码,有效期至,原行号,错误原因
	// 川B54321,明天,4,有效期至：不是有效日期
}
