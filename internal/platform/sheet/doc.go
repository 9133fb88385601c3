// Package sheet imports and exports tables as CSV and XLSX, the formats
// regulators exchange every day, for every module that has lists to load or
// hand out (registry, alarms, waybills).
//
// A Schema names the columns once: the API field name (key), the Chinese
// header written on exports, the aliases accepted on import. Header matching
// forgives what clerks' files do to headers: spaces, BOM, case, full-width
// letters, "*" or "(必填)" marks, English or Chinese names, a title row above
// the header.
//
// Reading streams: Read hands rows one at a time to a callback (XLSX through
// excelize's row iterator, CSV through encoding/csv, UTF-8 with or without
// BOM, GBK/GB18030 or UTF-16), skips empty rows and numbers each row as
// Excel shows it, so an error report can say "第 12 行". A Report collects
// per-row outcomes, answers the API as JSON and writes the rejected rows
// back as a file with a 错误原因 column for the clerk to fix and re-import.
//
// Import endpoint (huma), in a module's http.go. It takes the file as the raw
// body (text/csv or the XLSX type; ?filename= optional) or as the "file"
// field of a multipart form:
//
//	var vehicleColumns = sheet.MustSchema(
//		sheet.Column{Key: "plate", Header: "车牌号码", Aliases: []string{"车牌号", "Plate number"}, Required: true},
//		sheet.Column{Key: "vin", Header: "车辆识别代号", Aliases: []string{"VIN", "车架号"}, Required: true},
//		sheet.Column{Key: "cert_valid_until", Header: "道路运输证有效期至", Kind: sheet.Date},
//	)
//
//	type importInput struct{ sheet.Upload }
//	type importOutput struct{ Body *sheet.Report }
//
//	op := huma.Operation{OperationID: "import-vehicles", Method: http.MethodPost, Path: "/vehicles/import",
//		Summary: "Import vehicles from CSV or XLSX", Tags: []string{"registry"}}
//	sheet.RegisterImport(api, op, func(ctx context.Context, in *importInput) (*importOutput, error) {
//		file, err := in.File()
//		if err != nil {
//			return nil, err
//		}
//		rep, err := sheet.Import(file, vehicleColumns, func(row sheet.Row) error {
//			validUntil, err := row.Date("cert_valid_until")
//			if err != nil {
//				return apperr.Field("cert_valid_until", err.Error(), row.Get("cert_valid_until"))
//			}
//			return svc.CreateVehicle(ctx, Vehicle{Plate: row.Get("plate"), VIN: row.Get("vin"), CertValidUntil: validUntil})
//		})
//		return &importOutput{Body: rep}, err
//	})
//
// Export endpoint:
//
//	return sheet.Download("车辆_"+civil.Today().String()+".xlsx", sheet.XLSX, vehicleColumns,
//		func(w *sheet.Writer) error {
//			for _, v := range vehicles {
//				if err := w.WriteRow(v.Plate, v.VIN, v.CertValidUntil); err != nil {
//					return err
//				}
//			}
//			return nil
//		}), nil
//
// For bulk writes in batches, use Read and a Report directly: keep the Rows
// of a batch, write them in one transaction, then Record each row's outcome.
package sheet
